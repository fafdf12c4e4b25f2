"""The demo seller: Shenzhen SonicWave, an audio-gadget brand selling to the US, Germany and
Japan. Seeding is idempotent — run it twice and nothing is duplicated; products are
refreshed to the definitions below."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from chuhai.accounts.models import Org, Subject
from chuhai.accounts.platform import ensure_platform_org
from chuhai.accounts.service import Accounts
from chuhai.catalog import service as catalog
from chuhai.catalog.models import Product
from chuhai.catalog.schemas import ProductIn, ProductPatch
from chuhai.core.actor import Actor, Role
from chuhai.core.clock import utcnow
from chuhai.core.config import Settings
from chuhai.core.db import Stores, UnitOfWork, unit_of_work
from chuhai.core.secrets_store import signing_key

ORG_SLUG = "sonicwave"
DEMO_PASSWORD = "demo-password-1"  # noqa: S105 - printed by `make demo` on purpose
STAFF = [
    (Role.OWNER, "owner@sonicwave.example", "Lin Wei 林伟"),
    (Role.OPERATOR, "operator@sonicwave.example", "Zhang Min 张敏"),
    (Role.HOST, "host@sonicwave.example", "Amy Chen"),
    (Role.MODERATOR, "moderator@sonicwave.example", "Kenji Sato"),
    (Role.ANALYST, "analyst@sonicwave.example", "Hannah Becker"),
    (Role.PRIVACY_OFFICER, "privacy@sonicwave.example", "Priya Nair"),
]
# The platform's own staff: they, not the seller, run the privacy office for every buyer.
PLATFORM_STAFF = [
    (Role.OWNER, "owner@platform.example", "Marta Kowalska"),
    (Role.PRIVACY_OFFICER, "privacy@platform.example", "Aoife Byrne"),
]
CUSTOMERS = [
    ("jamie@buyer.example", "Jamie Rivera", "US", "en"),
    ("lena@kaeufer.example", "Lena Schmidt", "DE", "de"),
    ("yui@kounyu.example", "Yui Tanaka", "JP", "ja"),
    ("camille@acheteur.example", "Camille Dubois", "FR", "fr"),
    ("rafael@comprador.example", "Rafael Souza", "BR", "pt"),
    ("siti@pembeli.example", "Siti Rahma", "ID", "id"),
    ("noura@mushtari.example", "Noura Al-Qahtani", "SA", "ar"),
    ("omar@mushtari.example", "Omar Haddad", "AE", "ar"),
]


@dataclass(frozen=True)
class DemoProduct:
    code: str
    hs: str
    title: str
    de: str
    ja: str
    weight_g: int
    value: str
    usd: str
    eur: str
    jpy: str
    certs: tuple[str, ...] = ("CE", "FCC")
    variants: tuple[tuple[str, dict[str, str]], ...] = ()


PRODUCTS = [
    DemoProduct("SW-ANC1", "85183020", "SonicWave ANC1 wireless noise-cancelling headphones",
                "SonicWave ANC1 kabellose Kopfhörer mit Geräuschunterdrückung",
                "SonicWave ANC1 ワイヤレス ノイズキャンセリング ヘッドホン",
                285, "32.00", "89.00", "84.99", "12800", ("CE", "FCC", "TELEC"),
                (("SW-ANC1-BLK", {"color": "black"}), ("SW-ANC1-WHT", {"color": "white"}))),
    DemoProduct("SW-BUDS2", "85183020", "SonicWave Buds 2 true-wireless earbuds",
                "SonicWave Buds 2 True-Wireless-Ohrhörer",
                "SonicWave Buds 2 完全ワイヤレスイヤホン",
                60, "14.50", "39.00", "36.99", "5480"),
    DemoProduct("SW-BOOM", "851822", "SonicWave Boom portable Bluetooth speaker",
                "SonicWave Boom tragbarer Bluetooth-Lautsprecher",
                "SonicWave Boom ポータブル Bluetooth スピーカー",
                540, "21.00", "59.00", "54.99", "7980"),
    DemoProduct("SW-MIC", "851810", "SonicWave StreamMic USB microphone for live streaming",
                "SonicWave StreamMic USB-Mikrofon für Livestreams",
                "SonicWave StreamMic ライブ配信用 USB マイク", 420, "18.00", "49.00", "45.99",
                "6580"),
    DemoProduct("SW-CHG65", "850440", "SonicWave 65 W GaN USB-C charger",
                "SonicWave 65-W-GaN-USB-C-Ladegerät", "SonicWave 65W GaN USB-C 充電器",
                120, "9.80", "29.00", "27.99", "3980", ("CE", "FCC", "PSE")),
    DemoProduct("SW-DAC", "854370", "SonicWave Pocket DAC headphone amplifier",
                "SonicWave Pocket-DAC Kopfhörerverstärker",
                "SonicWave ポケット DAC ヘッドホンアンプ", 35, "11.00", "35.00", "32.99", "4680"),
    DemoProduct("SW-KEYS", "847160", "SonicWave K3 mechanical keyboard",
                "SonicWave K3 mechanische Tastatur", "SonicWave K3 メカニカルキーボード",
                780, "26.00", "79.00", "74.99", "10800", ("CE", "FCC"),
                (("SW-KEYS-RED", {"switch": "red"}), ("SW-KEYS-BRN", {"switch": "brown"}))),
    DemoProduct("SW-CASE", "420292", "SonicWave hard-shell headphone case",
                "SonicWave Hartschalen-Kopfhörer-Etui", "SonicWave ヘッドホン用ハードケース",
                150, "3.20", "15.00", "13.99", "1980", ()),
    DemoProduct("SW-TIPS", "392690", "SonicWave memory-foam ear tips (3 pairs)",
                "SonicWave Memory-Foam-Ohrpolster (3 Paar)",
                "SonicWave 低反発イヤーチップ（3ペア）", 12, "0.90", "9.00", "8.49", "1180", ()),
    DemoProduct("SW-PAD", "950450", "SonicWave Pro wireless game controller",
                "SonicWave Pro kabelloser Gamecontroller",
                "SonicWave Pro ワイヤレス ゲームコントローラー", 230, "13.00", "45.00", "42.99",
                "5980"),
    DemoProduct("SW-LAMP", "940521", "SonicWave RGB desk lamp with speaker base",
                "SonicWave RGB-Schreibtischlampe mit Lautsprechersockel",
                "SonicWave スピーカー付き RGB デスクランプ", 900, "15.00", "49.00", "46.99",
                "6480", ("CE", "FCC")),
    DemoProduct("SW-STAND", "732690", "SonicWave steel headphone stand",
                "SonicWave Kopfhörerständer aus Stahl",
                "SonicWave スチール製ヘッドホンスタンド", 450, "5.50", "25.00", "23.99", "2980",
                ()),
    DemoProduct("SW-CABLE", "854442", "SonicWave braided USB-C cable 2 m",
                "SonicWave geflochtenes USB-C-Kabel 2 m", "SonicWave 編み込み USB-C ケーブル 2m",
                60, "1.20", "12.00", "10.99", "1480", ("CE",)),
]


# Arabic listing titles for Saudi Arabia and the UAE (written here, not machine-translated).
ARABIC = {
    "SW-ANC1": "سماعات SonicWave ANC1 اللاسلكية بخاصية إلغاء الضوضاء",
    "SW-BUDS2": "سماعات أذن SonicWave Buds 2 لاسلكية بالكامل",
    "SW-BOOM": "مكبر صوت SonicWave Boom محمول بتقنية بلوتوث",
    "SW-MIC": "ميكروفون SonicWave StreamMic بمنفذ USB للبث المباشر",
    "SW-CHG65": "شاحن SonicWave GaN بقوة 65 واط USB-C",
    "SW-DAC": "مضخم سماعات الرأس SonicWave Pocket DAC",
    "SW-KEYS": "لوحة مفاتيح ميكانيكية SonicWave K3",
    "SW-CASE": "حقيبة صلبة لسماعات الرأس من SonicWave",
    "SW-TIPS": "أطراف أذن من الإسفنج الذكي من SonicWave (3 أزواج)",
    "SW-PAD": "يد تحكم لاسلكية للألعاب SonicWave Pro",
    "SW-LAMP": "مصباح مكتب SonicWave RGB بقاعدة مكبر صوت",
    "SW-STAND": "حامل سماعات رأس من الألومنيوم من SonicWave",
    "SW-CABLE": "كابل SonicWave USB-C مضفر بطول 2 م",
}


def gulf_price(usd: str, rate: str) -> str:
    """A whole-riyal/dirham price from the US price at the currency's peg to the dollar
    (SAR 3.75, AED 3.6725: see rules/fx/pegs.toml), rounded up."""
    from decimal import ROUND_CEILING, Decimal

    return str((Decimal(usd) * Decimal(rate)).quantize(Decimal(1), rounding=ROUND_CEILING))


def product_input(p: DemoProduct) -> ProductIn:
    return ProductIn.model_validate({
        "code": p.code, "title": p.title, "brand": "SonicWave", "hs_code": p.hs,
        "description": f"{p.title}. Ships from Shenzhen; duties and taxes shown at checkout.",
        "origin_country": "CN", "weight_g": p.weight_g, "customs_value": p.value,
        "customs_currency": "USD", "certifications": list(p.certs),
        "skus": [{"code": c, "attributes": a} for c, a in p.variants],
        "listings": [
            {"market": "US", "title": p.title, "price": p.usd},
            {"market": "DE", "title": p.de, "price": p.eur},
            {"market": "JP", "title": p.ja, "price": p.jpy},
            {"market": "SA", "title": ARABIC[p.code], "price": gulf_price(p.usd, "3.75")},
            {"market": "AE", "title": ARABIC[p.code], "price": gulf_price(p.usd, "3.6725")},
        ],
    })


async def run_seed(settings: Settings, progress: Callable[[str], None] = lambda _m: None
                   ) -> list[tuple[str, str, str]]:
    stores = Stores(settings)
    key = signing_key(settings)
    try:
        async with unit_of_work(stores) as uow:
            acc = Accounts(uow, key)
            org = await uow.global_.scalar(select(Org).where(Org.slug == ORG_SLUG))
            if org is None:
                org = await acc.create_org(ORG_SLUG, "SonicWave 声浪科技 (Shenzhen)", "CN")
                progress(f"created org {org.name}")
            if not org.registrations:  # the demo seller collects EU and UK VAT at checkout
                org.registrations = ["EU_IOSS", "UK_VAT"]
            system = Actor.system(org.id)
            for role, email, name in STAFF:
                if not await _exists(uow.global_, acc.login_key(email)):
                    await acc.create_staff(system, email, name, DEMO_PASSWORD, role)
            host_id = await uow.global_.scalar(select(Subject.id).where(
                Subject.login_key == acc.login_key("host@sonicwave.example")))
            progress(f"staff: {len(STAFF)} users, one per role")
            platform = await ensure_platform_org(uow.global_, settings)
            for role, email, name in PLATFORM_STAFF:
                if not await _exists(uow.global_, acc.login_key(email)):
                    await acc.create_staff(Actor.system(platform.id), email, name,
                                           DEMO_PASSWORD, role)
            progress(f"platform ({platform.slug}): an owner and a privacy officer, who run "
                     "the privacy office for every buyer")
            for email, name, country, lang in CUSTOMERS:
                if not await _exists(uow.global_, acc.login_key(email)):
                    await acc.create_customer(email, name, country, lang,
                                              password=DEMO_PASSWORD)
            progress(f"customers: {len(CUSTOMERS)} in regions eu, us, apac")
            for p in PRODUCTS:
                data = product_input(p)
                existing = await uow.global_.scalar(select(Product).where(
                    Product.org_id == org.id, Product.code == p.code))
                if existing is None:
                    await catalog.create_product(uow.global_, system, data)
                else:
                    patch = ProductPatch.model_validate(data.model_dump(exclude={"code"}))
                    await catalog.update_product(uow.global_, system, existing.id, patch)
            progress(f"catalog: {len(PRODUCTS)} products with US, DE, JP, SA and AE listings")
            await _seed_rooms(uow, org.id, system)
            progress("live: one live room (simulated video) and one scheduled for tomorrow")
            await _seed_selling(uow, org.id, system)
            progress("selling: 3 warehouses with stock; a drop and an auction ready in the "
                     "live room (start them from the host console)")
            await _seed_privacy(uow, acc, settings)
            progress("privacy: consent choices of three buyers, a data request to verify")
        if await _seed_video(stores, org.id):
            progress("video: a shoppable short video with the ANC1 headphones tagged, "
                     "published in every market")
        if await _seed_replay_clip(stores, org.id):
            progress("video: a clip of the Buds 2 cut from an ended live room's replay, "
                     "published in its markets")
        from chuhai import demo_history
        from chuhai.analytics import rollup
        from chuhai.feed import model as feed_model
        from chuhai.feed import training

        await demo_history.seed(stores, org.id, progress=progress, host_id=host_id)
        done = await rollup.rollup(stores, utcnow() - timedelta(weeks=demo_history.WEEKS + 1))
        progress(f"analytics: funnel rolled up, {done['hours']} hours ({done['rows']} rows); "
                 "the worker adds each hour as it ends")

        if feed_model.loaded(stores.settings.data_dir) is None:
            trained = await training.train(stores)
            progress(f"feed: recommender model {trained.version} trained "
                     f"({trained.stats['items']} items; it learns from engagement as it "
                     "comes, hourly in the worker)")
    finally:
        await stores.dispose()
    return [(r.value, e, DEMO_PASSWORD) for r, e, _ in STAFF] + [
        (f"platform {r.value}", e, DEMO_PASSWORD) for r, e, _ in PLATFORM_STAFF]


VIDEO_TEXTS = {
    "en": {"title": "SonicWave ANC1: quiet in one tap",
           "description": "Noise cancelling on the train, 30 hours of battery."},
    "de": {"title": "SonicWave ANC1: Ruhe mit einem Tipp",
           "description": "Geräuschunterdrückung in der Bahn, 30 Stunden Akku."},
    "ja": {"title": "SonicWave ANC1：ワンタップで静寂",
           "description": "電車でもノイズキャンセリング、バッテリー30時間。"},
    "ar": {"title": "SonicWave ANC1: هدوء بلمسة واحدة",
           "description": "إلغاء الضوضاء في القطار، وبطارية تدوم 30 ساعة."},
}


async def _seed_video(stores: Stores, org_id: str) -> bool:
    """A published clip (made here with the bundled ffmpeg: a test pattern and a tone) with
    the ANC1 headphones tagged; nothing when the seller already has a video."""
    import subprocess
    import tempfile

    from chuhai.live.simulate import ffmpeg_exe
    from chuhai.video import processing
    from chuhai.video import service as videos
    from chuhai.video.models import Video

    async with stores.session() as s:
        if await s.scalar(select(Video.id).where(Video.org_id == org_id).limit(1)):
            return False
        anc1 = await s.scalar(select(Product.id).where(Product.org_id == org_id,
                                                       Product.code == "SW-ANC1"))
    system = Actor.system(org_id)
    with tempfile.TemporaryDirectory() as tmp:
        clip = Path(tmp) / "anc1.mp4"
        subprocess.run([ffmpeg_exe(), "-hide_banner", "-loglevel", "error", "-y",  # noqa: S603
                        "-f", "lavfi", "-i", "testsrc2=size=540x960:rate=25",
                        "-f", "lavfi", "-i", "sine=frequency=330:sample_rate=48000",
                        "-t", "8", "-c:v", "libx264", "-preset", "ultrafast",
                        "-pix_fmt", "yuv420p", "-c:a", "aac", str(clip)],
                       check=True, timeout=120)
        async with stores.session() as s:
            video = await videos.create_from_file(
                s, system, stores.settings, clip, language="en", texts=VIDEO_TEXTS,
                markets=["US", "DE", "JP", "SA", "AE"], filename="anc1.mp4")
            await s.commit()
            vid = video.id
    await processing.process(stores, vid)
    async with stores.session() as s:
        if anc1 is not None:
            await videos.add_tag(s, system, vid, anc1, 1.0, 7.0)
        await videos.publish(s, system, vid, settings=stores.settings)
        await s.commit()
    return True


REPLAY_TITLES = {"en": "Buds 2 and Boom: first look (replay)",
                 "de": "Buds 2 und Boom: erster Eindruck (Aufzeichnung)",
                 "ja": "Buds 2 と Boom 初公開（アーカイブ）",
                 "ar": "Buds 2 وBoom: نظرة أولى (إعادة)"}


async def _seed_replay_clip(stores: Stores, org_id: str) -> bool:
    """An ended live room with its recording (HLS with the stream's own clock) and two
    pins — the Buds 2 at 3 s, the Boom at 13 s — and the Buds 2's chapter cut from it as a
    short video with the product tagged, published. Nothing when the room exists."""
    import subprocess

    from chuhai.live.models import Room, RoomEvent
    from chuhai.live.simulate import ffmpeg_exe, playback_url, stream_dir
    from chuhai.video import clips
    from chuhai.video import service as videos

    async with stores.session() as s:
        rooms = (await s.scalars(select(Room).where(Room.org_id == org_id))).all()
        if any(r.titles.get("en") == REPLAY_TITLES["en"] for r in rooms):
            return False
        codes = {p.code: p.id for p in (await s.scalars(select(Product).where(
            Product.org_id == org_id, Product.code.in_(["SW-BUDS2", "SW-BOOM"])))).all()}
    if len(codes) < 2:
        return False
    from chuhai.core.ids import new_id

    room_id = new_id("room")
    out = stream_dir(stores.settings.data_dir / "media", room_id)
    out.mkdir(parents=True)
    subprocess.run([ffmpeg_exe(), "-hide_banner", "-loglevel", "error", "-y",  # noqa: S603
                    "-f", "lavfi", "-i", "testsrc2=size=640x360:rate=25",
                    "-f", "lavfi", "-i", "sine=frequency=392:sample_rate=48000", "-t", "22",
                    "-c:v", "libx264", "-preset", "ultrafast", "-g", "50", "-pix_fmt",
                    "yuv420p", "-c:a", "aac", "-f", "hls", "-hls_time", "2",
                    "-hls_list_size", "0", "-hls_playlist_type", "vod",
                    "-hls_flags", "program_date_time", str(out / "index.m3u8")],
                   check=True, timeout=120)
    began = clips.recording_start(out / "index.m3u8") or utcnow()
    started = began + timedelta(seconds=1)  # the room went live a second into the stream
    async with stores.session() as s:
        s.add(Room(id=room_id, org_id=org_id, titles=REPLAY_TITLES, host_ids=[],
                   markets=["US", "DE", "JP", "SA", "AE"], scheduled_at=started,
                   status="ended", playback_url=playback_url(room_id),
                   recording_url=playback_url(room_id), started_at=started,
                   ended_at=started + timedelta(seconds=20)))
        await s.flush()
        for seq, (code, at) in enumerate((("SW-BUDS2", 3), ("SW-BOOM", 13)), start=1):
            s.add(RoomEvent(room_id=room_id, seq=seq, type="pin",
                            at=started + timedelta(seconds=at),
                            data={"product_id": codes[code]}))
        await s.commit()
    vid, _cut = await videos.clip_from_room(stores, room_id, codes["SW-BUDS2"])
    async with stores.session() as s:
        await videos.publish(s, Actor.system(org_id), vid, settings=stores.settings)
        await s.commit()
    return True


async def _seed_privacy(uow: UnitOfWork, acc: Accounts, settings: Settings) -> None:
    """Something for the privacy office to show: Lena (DE) allows analytics and the
    personalized feed but no marketing; Jamie's browser (US) sent Global Privacy Control;
    Camille (FR) asked by letter for a copy of her data, not yet verified."""
    from chuhai.privacy import consent, requests
    from chuhai.privacy.models import DataRequest

    if await uow.global_.scalar(select(DataRequest.id).limit(1)) is not None:
        return  # seeded before
    version = settings.privacy_policy_version
    ids = {}
    for email, _name, country, _lang in CUSTOMERS:
        subject = await uow.global_.scalar(select(Subject).where(
            Subject.login_key == acc.login_key(email)))
        if subject is not None:
            ids[email] = (subject.id, subject.region, country)
    lena, region, country = ids["lena@kaeufer.example"]
    await consent.decide(uow, subject_id=lena, region=region, country=country, age=34,
                         choices={"analytics": True, "personalization": True,
                                  "marketing": False, "sale_share": False},
                         source="banner", policy_version=version)
    jamie, region, country = ids["jamie@buyer.example"]
    await consent.state(uow, subject_id=jamie, region=region, country=country, gpc=True,
                        policy_version=version)
    camille, _region, _country = ids["camille@acheteur.example"]
    await requests.open_request(uow, subject_id=camille, kind="access", channel="staff",
                                created_by="system")


LIVE_TITLES = {"en": "SonicWave ANC1 launch — live from Shenzhen",
               "de": "SonicWave ANC1 Launch — live aus Shenzhen",
               "ja": "SonicWave ANC1 発売記念ライブ（深圳から）",
               "zh": "SonicWave ANC1 新品发布直播",
               "ar": "إطلاق سماعات SonicWave ANC1 — بث مباشر من شنتشن"}
NEXT_TITLES = {"en": "Audio gadgets Q&A", "de": "Audio-Gadgets: Fragen & Antworten",
               "ja": "オーディオガジェット Q&A"}


async def _seed_rooms(uow: UnitOfWork, org_id: str, system: Actor) -> None:
    from chuhai.live import service as live
    from chuhai.live.models import Room
    from chuhai.live.schemas import RoomIn
    from chuhai.live.simulate import playback_url

    existing = {r.titles.get("en") for r in (await uow.global_.scalars(
        select(Room).where(Room.org_id == org_id))).all()}
    codes = ["SW-ANC1", "SW-BUDS2", "SW-BOOM", "SW-CASE"]
    products = {p.code: p.id for p in (await uow.global_.scalars(select(Product).where(
        Product.org_id == org_id, Product.code.in_(codes)))).all()}
    slots = [{"product_id": products[c], "planned_minutes": 8} for c in codes if c in products]
    if LIVE_TITLES["en"] not in existing:
        room = await live.create_room(uow, system, RoomIn.model_validate({
            "titles": LIVE_TITLES, "markets": ["US", "DE", "JP", "SA", "AE"], "run_of_show": slots,
            "planned_minutes": 90, "scheduled_at": utcnow() - timedelta(minutes=5)}))
        room.status, room.started_at = "live", utcnow()
        room.playback_url = playback_url(room.id)
    if NEXT_TITLES["en"] not in existing:
        await live.create_room(uow, system, RoomIn.model_validate({
            "titles": NEXT_TITLES, "markets": ["US", "DE", "JP"], "run_of_show": slots[:2],
            "scheduled_at": utcnow() + timedelta(days=1)}))
    await uow.global_.flush()


WAREHOUSES = [
    ("SZ", "Shenzhen origin", "origin", "CN",
     {"US": {"min_days": 8, "max_days": 15, "cost": "4.00"},
      "DE": {"min_days": 9, "max_days": 16, "cost": "3.90"},
      "JP": {"min_days": 4, "max_days": 7, "cost": "500"},
      "SA": {"min_days": 6, "max_days": 12, "cost": "30.00"},
      "AE": {"min_days": 5, "max_days": 10, "cost": "30.00"}}),
    ("US-W", "US West (Ontario, CA)", "overseas", "US",
     {"US": {"min_days": 2, "max_days": 4, "cost": "5.90"}}),
    ("DE-1", "Germany (Leipzig)", "overseas", "DE",
     {"DE": {"min_days": 1, "max_days": 3, "cost": "4.90"}}),
]


# Leipzig's lead time is the seller's own; California has none yet, so its reorder
# suggestion shows the sourced sea lane from Shenzhen (rules/freight/restock_lanes.toml).
RESTOCK_DAYS = {"DE-1": 42}


async def _seed_selling(uow: UnitOfWork, org_id: str, system: Actor) -> None:
    """Warehouses with stock of every SKU, and — once — a drop and an auction of the ANC1
    in the live room, scheduled so the host can start them."""
    from chuhai.catalog.models import Sku
    from chuhai.inventory import auctions, drops, stock
    from chuhai.inventory.ledger import EntryKind
    from chuhai.inventory.models import Auction, Drop, Warehouse
    from chuhai.inventory.schemas import AuctionIn, DropIn, WarehouseIn
    from chuhai.live.models import Room

    have = {w.code: w for w in (await uow.global_.scalars(select(Warehouse).where(
        Warehouse.org_id == org_id))).all()}
    skus = list((await uow.global_.scalars(select(Sku).where(Sku.org_id == org_id))).all())
    for code, name, kind, country, lanes in WAREHOUSES:
        if code in have:
            continue
        wh = await stock.create_warehouse(uow, system, WarehouseIn.model_validate(
            {"code": code, "name": name, "kind": kind, "country": country, "lanes": lanes,
             # the demo seller's own freight, sea from Shenzhen to Leipzig
             "restock_lead_days": RESTOCK_DAYS.get(code)}))
        have[code] = wh
        for sku in skus:
            # the black ANC1 runs low in Leipzig: the console's reorder suggestion has
            # something to say (demand/planning.py)
            low = code == "DE-1" and sku.code == "SW-ANC1-BLK"
            await stock.record(uow.global_, org_id=org_id, sku_id=sku.id, warehouse_id=wh.id,
                               kind=EntryKind.RECEIVE,
                               quantity=500 if kind == "origin" else 14 if low else 120,
                               actor_id="system", ref="demo", note="opening stock")
    room = next((r for r in (await uow.global_.scalars(select(Room).where(
        Room.org_id == org_id))).all() if r.titles.get("en") == LIVE_TITLES["en"]), None)
    anc = next((k for k in skus if k.code.startswith("SW-ANC1")), None)
    if room is None or anc is None:
        return
    if await uow.global_.scalar(select(Drop.id).where(Drop.room_id == room.id)) is None:
        await drops.create_drop(uow, system, DropIn.model_validate({
            "title": "ANC1 launch drop", "room_id": room.id, "per_buyer_limit": 2,
            "duration_minutes": 20, "lines": [
                {"sku_id": anc.id, "market": "US", "quantity": 50, "price": "59.00"},
                # a small German allocation: a few buyers and the host console warns that
                # it is about to sell out (demand/live.py)
                {"sku_id": anc.id, "market": "DE", "quantity": 6, "price": "55.00"},
                {"sku_id": anc.id, "market": "JP", "quantity": 30, "price": "7980"}]}))
    if await uow.global_.scalar(select(Auction.id).where(Auction.room_id == room.id)) is None:
        await auctions.create_auction(uow, system, AuctionIn.model_validate({
            "title": "ANC1 signed by the design team", "room_id": room.id, "sku_id": anc.id,
            "warehouse_id": have["US-W"].id, "market": "US", "start_price": "20.00",
            "duration_s": 60, "anti_snipe_s": 15}))
    await uow.global_.flush()


async def demo_live_room(settings: Settings) -> str:
    """The demo's live room id (reopened if someone ended it)."""
    from chuhai.live.models import Room

    stores = Stores(settings)
    try:
        async with unit_of_work(stores) as uow:
            org = await uow.global_.scalar(select(Org).where(Org.slug == ORG_SLUG))
            assert org is not None, "seed the demo first"
            rooms = (await uow.global_.scalars(select(Room).where(Room.org_id == org.id))).all()
            room = next(r for r in rooms if r.titles.get("en") == LIVE_TITLES["en"])
            if room.status != "live":
                room.status, room.started_at, room.ended_at = "live", utcnow(), None
            return room.id
    finally:
        await stores.dispose()


async def _exists(session: AsyncSession, login_key: str) -> bool:
    return bool(await session.scalar(select(Subject.id).where(Subject.login_key == login_key)))


async def ensure_platform(stores: Stores) -> str:
    """The platform's own org exists after ``chuhai migrate``; returns its slug."""
    async with unit_of_work(stores) as uow:
        org = await ensure_platform_org(uow.global_, stores.settings)
        await uow.commit()
        return org.slug


async def create_user(settings: Settings, org_slug: str, email: str, name: str, password: str,
                      role: Role, org_name: str, org_country: str) -> str:
    stores = Stores(settings)
    try:
        async with unit_of_work(stores) as uow:
            acc = Accounts(uow, signing_key(settings))
            if org_slug == settings.platform_org:
                await ensure_platform_org(uow.global_, settings)
            org = await uow.global_.scalar(select(Org).where(Org.slug == org_slug))
            if org is None:
                org = await acc.create_org(org_slug, org_name, org_country)
            subject, _ = await acc.create_staff(Actor.system(org.id), email, name, password, role)
            return subject.id
    finally:
        await stores.dispose()
