"""The buyer's server-rendered pages: the storefront (market chosen from the link, the
signed-in buyer's country or Accept-Language, else a chooser), the product page with its
delivered price, canonical/hreflang links, Open Graph and JSON-LD, the cart page, and the
buyer's own orders — money in the buyer's locale, every page under the CSP header, nothing
a visitor or seller typed rendered unescaped."""

from __future__ import annotations

import json
import re
import uuid
from html.parser import HTMLParser
from typing import Any

import httpx

from chuhai.core.db import Stores
from chuhai.inventory import stock as stock_service
from chuhai.inventory.ledger import EntryKind
from tests.factories import ADDRESSES, Shop, create_product, make_buyer, make_shop
from tests.shop.test_cart_api import slug_of

GERMAN = {"Accept-Language": "de-DE,de;q=0.9"}
XSS_TITLE = "Ohrhörer </script><script>alert(1)</script>"
RAW_XSS = "</script><script>alert"
# "52,24 €": German grouping, decimal comma, a (non-breaking) space, the euro sign last.
GERMAN_EUROS = re.compile(r"\d{1,3}(?:\.\d{3})*,\d{2}\s€")


def key() -> str:
    return f"k-{uuid.uuid4().hex}"


class Tags(HTMLParser):
    """The page's ``<link>``/``<meta>`` attributes, its JSON-LD blocks and the text of the
    elements with an ``id``."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.links: list[dict[str, str]] = []
        self.metas: list[dict[str, str]] = []
        self.ld_json: list[str] = []
        self.by_id: dict[str, str] = {}
        self.body_class: str | None = None
        self.anchors: list[str] = []
        self._in_ld = False
        self._open_ids: list[tuple[str, str, int]] = []  # (id, tag, depth)
        self._depth = 0
        self.feed(html)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "link":
            self.links.append(a)
        elif tag == "meta":
            self.metas.append(a)
        elif tag == "body":
            self.body_class = a.get("class", "")
        elif tag == "a" and "href" in a:
            self.anchors.append(a["href"])
        elif tag == "script" and a.get("type") == "application/ld+json":
            self._in_ld = True
            self.ld_json.append("")
        if tag in ("link", "meta", "input", "br", "img"):
            return
        self._depth += 1
        if "id" in a:
            self.by_id[a["id"]] = ""
            self._open_ids.append((a["id"], tag, self._depth))

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._in_ld = False
        while self._open_ids and self._open_ids[-1][2] >= self._depth and \
                self._open_ids[-1][1] == tag:
            self._open_ids.pop()
        self._depth -= 1

    def handle_data(self, data: str) -> None:
        if self._in_ld:
            self.ld_json[-1] += data
        for ident, _, _ in self._open_ids:
            self.by_id[ident] += data

    def meta(self, prop: str) -> str | None:
        return next((m.get("content") for m in self.metas if m.get("property") == prop), None)

    def canonical(self) -> str | None:
        return next((ln.get("href") for ln in self.links if ln.get("rel") == "canonical"),
                    None)

    def alternates(self) -> dict[str, str]:
        return {ln["hreflang"]: ln.get("href", "") for ln in self.links
                if ln.get("rel") == "alternate" and "hreflang" in ln}


def digits(text: str) -> str:
    return re.sub(r"\D", "", text)


def assert_page(resp: httpx.Response, status: int = 200) -> str:
    assert resp.status_code == status, resp.text[:2000]
    assert resp.headers["content-type"].startswith("text/html")
    csp = resp.headers.get("content-security-policy", "")
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp, csp
    return re.sub(r"</?bdi>", "", resp.text)  # bidi isolation marks no meaning here


async def seller(stores: Stores, settings: Any, client: httpx.AsyncClient
                 ) -> tuple[Shop, str]:
    shop = await make_shop(stores, settings, client)
    return shop, await slug_of(stores, shop.tenant.org_id)


async def receive(stores: Stores, shop: Shop, sku_id: str, warehouse_id: str, n: int = 5
                  ) -> None:
    async with stores.session() as s:
        await stock_service.record(s, org_id=shop.tenant.org_id, sku_id=sku_id,
                                   warehouse_id=warehouse_id, kind=EntryKind.RECEIVE,
                                   quantity=n, actor_id="t")
        await s.commit()


# --- the storefront ---------------------------------------------------------------------

async def test_a_german_browser_without_a_market_gets_the_german_storefront(
        stores, settings, app_client):
    shop, slug = await seller(stores, settings, app_client)
    html = assert_page(await app_client.get(f"/shop/{slug}", headers=GERMAN))
    tags = Tags(html)
    prices = re.findall(r'<span class="price">([^<]*)</span>', html)
    assert prices and all(p.strip().endswith("€") for p in prices), prices
    assert all(GERMAN_EUROS.fullmatch(p.strip()) for p in prices), prices
    assert "inkl. Versand, Zoll und Steuern" in html
    assert tags.canonical() == f"http://testserver/shop/{slug}?market=DE"
    assert 'data-market="DE"' in html
    assert f'/shop/{slug}/products/{shop.product_id}?market=DE&via=browse' in tags.anchors


async def test_the_storefront_names_one_hreflang_alternate_per_market_and_language(
        stores, settings, app_client):
    _, slug = await seller(stores, settings, app_client)
    tags = Tags(assert_page(await app_client.get(f"/shop/{slug}", headers=GERMAN)))
    hreflangs = [ln["hreflang"] for ln in tags.links
                 if ln.get("rel") == "alternate" and "hreflang" in ln]
    # once each: the US market is sold in English and Spanish
    assert sorted(hreflangs) == ["de-DE", "en-US", "es-US", "ja-JP", "x-default"]
    base = f"http://testserver/shop/{slug}"
    assert tags.alternates() == {
        "de-DE": f"{base}?market=DE", "en-US": f"{base}?market=US",
        "es-US": f"{base}?market=US&lang=es", "ja-JP": f"{base}?market=JP",
        "x-default": f"{base}?market=DE"}


async def test_the_market_in_the_link_wins_over_accept_language(stores, settings, app_client):
    _, slug = await seller(stores, settings, app_client)
    html = assert_page(await app_client.get(f"/shop/{slug}?market=JP", headers=GERMAN))
    # the canonical address of this page: Japan's prices, in German
    assert Tags(html).canonical() == f"http://testserver/shop/{slug}?market=JP&lang=de"
    assert 'data-market="JP"' in html
    assert '<html lang="de"' in html  # the visitor's language, the market's prices
    prices = re.findall(r'<span class="price">([^<]*)</span>', html)
    assert prices and all("￥" in p for p in prices), prices


async def test_a_lower_case_market_in_the_link_is_the_same_market(
        stores, settings, app_client):
    _, slug = await seller(stores, settings, app_client)
    html = assert_page(await app_client.get(f"/shop/{slug}?market=de"))
    assert Tags(html).canonical() == f"http://testserver/shop/{slug}?market=DE"


async def test_the_first_accept_language_region_the_shop_sells_to_is_chosen(
        stores, settings, app_client):
    _, slug = await seller(stores, settings, app_client)
    html = assert_page(await app_client.get(
        f"/shop/{slug}", headers={"Accept-Language": "fr-FR,ja-JP;q=0.8,de-DE;q=0.5"}))
    assert 'data-market="JP"' in html


async def test_a_region_refused_with_q_zero_is_not_chosen(stores, settings, app_client):
    _, slug = await seller(stores, settings, app_client)
    html = assert_page(await app_client.get(
        f"/shop/{slug}", headers={"Accept-Language": "de-DE;q=0"}))
    assert 'class="markets"' in html and 'data-market=""' in html


async def test_a_visitor_without_a_usable_language_gets_the_chooser_of_the_shops_markets(
        stores, settings, app_client):
    _, slug = await seller(stores, settings, app_client)
    for headers in ({"Accept-Language": "fr-FR,fr;q=0.9"}, {}, {"Accept-Language": "de"}):
        html = assert_page(await app_client.get(f"/shop/{slug}", headers=headers))
        tags = Tags(html)
        choices = [h for h in tags.anchors if "?market=" in h]
        assert choices == [f"/shop/{slug}?market={m}" for m in ("DE", "JP", "US")], headers
        assert 'data-market=""' in html
        assert tags.canonical() is None  # the chooser is no market's canonical page
        assert "€" not in html and "inkl. Versand" not in html  # no market, no prices


async def test_a_signed_in_buyer_sees_their_own_countrys_market(stores, settings, app_client):
    _, slug = await seller(stores, settings, app_client)
    yui = await make_buyer(stores, settings, "JP")
    html = assert_page(await app_client.get(f"/shop/{slug}",
                                            headers={**yui.headers, **GERMAN}))
    # her country's market, in her language (her setting wins over the browser's)
    assert Tags(html).canonical() == f"http://testserver/shop/{slug}?market=JP"
    assert 'data-market="JP"' in html and 'data-signed-in="1"' in html
    assert "€" not in html
    # ... and a market in the link still wins over the account's country
    html = assert_page(await app_client.get(f"/shop/{slug}?market=DE", headers=yui.headers))
    assert 'data-market="DE"' in html


async def test_an_unknown_shop_is_a_404_page(stores, settings, app_client):
    await seller(stores, settings, app_client)
    html = assert_page(await app_client.get("/shop/no-such-shop-here", headers=GERMAN), 404)
    assert "no-such-shop-here" in html and "was not found" in html


async def test_an_unknown_shop_slug_is_escaped_on_the_404_page(stores, settings, app_client):
    html = assert_page(await app_client.get("/shop/%3Cimg%20src%3Dx%3E"), 404)
    assert "<img src=x>" not in html
    assert "&lt;img src=x&gt;" in html


async def test_a_garbage_market_never_errors_and_is_never_reflected_unescaped(
        stores, settings, app_client):
    _, slug = await seller(stores, settings, app_client)
    garbage = ["XXX", "<script>alert(1)</script>", '"><b>x</b>', "%00", "Ⅾ€", "D",
               "x" * 5000, "de-DE", "'"]
    for bad in garbage:
        for path in (f"/shop/{slug}", f"/shop/{slug}/products/prd_x"):
            for headers in ({}, GERMAN):
                resp = await app_client.get(path, params={"market": bad}, headers=headers)
                assert resp.status_code in (200, 404), (bad, path, resp.status_code)
                assert "content-security-policy" in resp.headers
                html = resp.text
                assert "<script>alert" not in html and "<b>x</b>" not in html, (bad, path)
                assert "x" * 100 not in html, (bad, path)


async def test_a_garbage_market_with_a_german_browser_still_gets_the_german_page(
        stores, settings, app_client):
    _, slug = await seller(stores, settings, app_client)
    html = assert_page(await app_client.get(f"/shop/{slug}", params={"market": "XXX"},
                                            headers=GERMAN))
    assert Tags(html).canonical() == f"http://testserver/shop/{slug}?market=DE"


# --- the product page -------------------------------------------------------------------

async def test_the_product_pages_json_ld_offers_the_price_the_page_shows(
        stores, settings, app_client):
    shop, slug = await seller(stores, settings, app_client)
    html = assert_page(await app_client.get(
        f"/shop/{slug}/products/{shop.product_id}?market=DE"))
    tags = Tags(html)
    assert len(tags.ld_json) == 1
    data = json.loads(tags.ld_json[0])
    assert data["@context"] == "https://schema.org" and data["@type"] == "Product"
    assert data["name"] == "Kabellose Ohrhörer"
    shown = tags.by_id["price"].strip()
    assert GERMAN_EUROS.fullmatch(shown), shown
    assert data["offers"], data
    for offer in data["offers"]:
        assert offer["@type"] == "Offer"
        assert digits(offer["price"]) == digits(shown)
        assert offer["priceCurrency"] == "EUR"
        assert offer["availability"] == "https://schema.org/InStock"
        assert offer["url"] == tags.canonical()
    assert tags.meta("product:price:amount") == data["offers"][0]["price"]
    assert tags.meta("product:price:currency") == "EUR"


async def test_an_out_of_stock_product_is_offered_out_of_stock(stores, settings, app_client):
    shop, slug = await seller(stores, settings, app_client)
    none_left = await create_product(app_client, shop.tenant, code="EMPTY-1", listings=[
        {"market": "DE", "title": "Leer", "price": "10.00"}])
    html = assert_page(await app_client.get(
        f"/shop/{slug}/products/{none_left['id']}?market=DE"))
    data = json.loads(Tags(html).ld_json[0])
    assert [o["availability"] for o in data["offers"]] == ["https://schema.org/OutOfStock"]


async def test_the_product_page_has_its_canonical_and_one_alternate_per_listed_market(
        stores, settings, app_client):
    shop, slug = await seller(stores, settings, app_client)
    tags = Tags(assert_page(await app_client.get(
        f"/shop/{slug}/products/{shop.product_id}?market=DE")))
    url = f"http://testserver/shop/{slug}/products/{shop.product_id}"
    assert tags.canonical() == f"{url}?market=DE"
    assert tags.alternates() == {"de-DE": f"{url}?market=DE", "ja-JP": f"{url}?market=JP",
                                 "en-US": f"{url}?market=US",
                                 "es-US": f"{url}?market=US&lang=es",
                                 "x-default": tags.alternates()["x-default"]}
    others = {k: v for k, v in tags.alternates().items() if k != "x-default"}
    assert tags.alternates()["x-default"] in others.values()
    assert tags.meta("og:type") == "product"
    assert tags.meta("og:title") == "Kabellose Ohrhörer"
    assert tags.meta("og:url") == f"{url}?market=DE"


async def test_a_products_alternates_name_only_the_markets_it_is_listed_in(
        stores, settings, app_client):
    shop, slug = await seller(stores, settings, app_client)
    only_de = await create_product(app_client, shop.tenant, code="DE-ONLY", listings=[
        {"market": "DE", "title": "Nur hier", "price": "10.00"}])
    tags = Tags(assert_page(await app_client.get(
        f"/shop/{slug}/products/{only_de['id']}?market=DE")))
    assert list(tags.alternates()) == ["de-DE", "x-default"]


async def test_the_breakdown_adds_up_to_what_you_pay(stores, settings, app_client):
    shop, slug = await seller(stores, settings, app_client)
    html = assert_page(await app_client.get(
        f"/shop/{slug}/products/{shop.product_id}?market=DE&lang=en"))
    rows = dict(re.findall(r'<th scope="row">([^<]+)</th><td>([^<]*)</td>', html))
    for label in ("Item", "Delivery to Germany", "Import duty", "Import VAT / GST",
                  "You pay"):
        assert label in rows, (label, rows)
        assert GERMAN_EUROS.fullmatch(rows[label].strip()), (label, rows[label])
    shown = Tags(html).by_id["price"].strip()
    assert rows["You pay"] == shown
    parts = ("Item", "Delivery to Germany", "Import duty", "Import VAT / GST",
             "Border fees")
    assert sum(int(digits(rows[p])) for p in parts if p in rows) == int(digits(shown))


async def test_a_title_that_closes_the_script_tag_stays_inside_the_json_ld(
        stores, settings, app_client):
    shop, slug = await seller(stores, settings, app_client)
    evil = await create_product(app_client, shop.tenant, code="EVIL-1", title=XSS_TITLE,
                                listings=[{"market": "DE", "title": XSS_TITLE,
                                           "price": "12.00"}])
    await receive(stores, shop, evil["skus"][0]["id"], shop.de)
    html = assert_page(await app_client.get(f"/shop/{slug}/products/{evil['id']}?market=DE"))
    assert RAW_XSS not in html
    assert "<script>alert(1)" not in html
    block = re.search(r'<script type="application/ld\+json">(.*?)</script>', html, re.S)
    assert block is not None
    assert "\\u003c/script>" in block.group(1)
    assert json.loads(block.group(1))["name"] == XSS_TITLE
    escaped = "Ohrhörer &lt;/script&gt;&lt;script&gt;alert(1)&lt;/script&gt;"
    assert f"<h1 lang=\"de\" dir=\"auto\">{escaped}</h1>" in html
    assert f"<title>{escaped} · chuhai</title>" in html
    tags = Tags(html)
    assert tags.meta("og:title") == XSS_TITLE  # an attribute, escaped, read back whole
    # and on the storefront tile
    front = assert_page(await app_client.get(f"/shop/{slug}?market=DE"))
    assert RAW_XSS not in front and escaped in front


async def test_an_unknown_product_is_a_404_page(stores, settings, app_client):
    _, slug = await seller(stores, settings, app_client)
    html = assert_page(await app_client.get(f"/shop/{slug}/products/prd_nope?market=DE"), 404)
    assert "prd_nope" in html and "application/ld+json" not in html


async def test_another_sellers_product_is_a_404_page_on_this_shop(
        stores, settings, app_client):
    _, slug = await seller(stores, settings, app_client)
    other, _ = await seller(stores, settings, app_client)
    assert_page(await app_client.get(
        f"/shop/{slug}/products/{other.product_id}?market=DE"), 404)


async def test_a_product_not_listed_in_a_market_the_shop_sells_to_is_a_404_page(
        stores, settings, app_client):
    shop, slug = await seller(stores, settings, app_client)
    only_de = await create_product(app_client, shop.tenant, code="DE-ONLY-2", listings=[
        {"market": "DE", "title": "Nur hier", "price": "10.00"}])
    html = assert_page(await app_client.get(
        f"/shop/{slug}/products/{only_de['id']}?market=US"), 404)
    assert "application/ld+json" not in html and "Nur hier" not in html


async def test_a_market_the_shop_does_not_sell_to_shows_no_price_for_the_product(
        stores, settings, app_client):
    # SA is listed by no product of the shop: the page falls back to the visitor (here
    # none), so the chooser — never an SA price, never a 500.
    shop, slug = await seller(stores, settings, app_client)
    resp = await app_client.get(f"/shop/{slug}/products/{shop.product_id}?market=SA")
    html = assert_page(resp, resp.status_code)
    assert resp.status_code in (200, 404)
    assert "application/ld+json" not in html and 'id="price"' not in html
    assert 'data-market="SA"' not in html
    if resp.status_code == 200:
        assert [h for h in Tags(html).anchors if "?market=" in h] == [
            f"/shop/{slug}/products/{shop.product_id}?market={m}" for m in ("DE", "JP", "US")]


# --- the cart page ----------------------------------------------------------------------

async def test_the_cart_page_renders_for_a_signed_in_buyer_in_their_market(
        stores, settings, app_client):
    _, slug = await seller(stores, settings, app_client)
    lena = await make_buyer(stores, settings, "DE")
    html = assert_page(await app_client.get(f"/shop/{slug}/cart", headers=lena.headers))
    assert 'data-signed-in="1"' in html and 'data-market="DE"' in html
    assert 'id="checkout-form"' in html
    csrf = re.search(r'data-csrf="([^"]*)"', html)
    assert csrf is not None and csrf.group(1) == lena.headers["x-csrf-token"]


async def test_the_cart_page_renders_for_a_guest(stores, settings, app_client):
    _, slug = await seller(stores, settings, app_client)
    html = assert_page(await app_client.get(f"/shop/{slug}/cart"))
    assert 'data-signed-in=""' in html and 'data-csrf=""' in html


async def test_the_cart_page_of_an_unknown_shop_is_a_404_page(stores, settings, app_client):
    assert_page(await app_client.get("/shop/no-such-shop/cart"), 404)


# --- the buyer's orders -----------------------------------------------------------------

async def paid_order(stores: Stores, settings: Any, client: httpx.AsyncClient
                     ) -> tuple[Any, dict[str, Any]]:
    """A German buyer's paid cart order: (the buyer, the order as the API returned it)."""
    shop, slug = await seller(stores, settings, client)
    lena = await make_buyer(stores, settings, "DE")
    added = await client.post(f"/api/shop/{slug}/cart/items", headers=lena.headers,
                              json={"sku_id": shop.sku_id, "quantity": 2,
                                    "idempotency_key": key()})
    assert added.status_code == 200, added.text
    order = await client.post(f"/api/shop/{slug}/checkout", headers=lena.headers,
                              json={"ship_to": ADDRESSES["DE"], "idempotency_key": key()})
    assert order.status_code == 201, order.text
    paid = await client.post(f"/api/orders/{order.json()['id']}/pay", headers=lena.headers,
                             json={"card_number": "4242 4242 4242 4242",
                                   "idempotency_key": key()})
    assert paid.status_code == 200 and paid.json()["status"] == "paid", paid.text
    return lena, dict(paid.json())


async def test_my_orders_lists_the_paid_order_in_euros_the_german_way(
        stores, settings, app_client):
    lena, order = await paid_order(stores, settings, app_client)
    html = assert_page(await app_client.get("/orders?lang=en", headers=lena.headers))
    assert Tags(html).body_class == "shop"  # the buyer's layout, not the console's
    assert f'href="/orders/{order["id"]}"' in html
    item = re.search(rf'<li class="card" data-order="{order["id"]}">(.*?)</li>', html, re.S)
    assert item is not None
    total = re.search(r"<strong>([^<]*)</strong>", item.group(1))
    assert total is not None
    assert GERMAN_EUROS.fullmatch(total.group(1).strip()), total.group(1)
    assert digits(total.group(1)) == digits(str(order["total"]))
    assert " EUR" not in html
    assert "paid" in item.group(1)


async def test_my_orders_shows_only_the_buyers_own_orders(stores, settings, app_client):
    _, order = await paid_order(stores, settings, app_client)
    other = await make_buyer(stores, settings, "DE")
    html = assert_page(await app_client.get("/orders?lang=en", headers=other.headers))
    assert order["id"] not in html and "No orders yet." in html


async def test_my_order_shows_the_address_status_and_breakdown(stores, settings, app_client):
    lena, order = await paid_order(stores, settings, app_client)
    html = assert_page(await app_client.get(f"/orders/{order['id']}?lang=en",
                                            headers=lena.headers))
    tags = Tags(html)
    assert tags.body_class == "shop"
    assert tags.by_id.get("order-total", "").strip() != ""
    assert digits(tags.by_id["order-total"]) == digits(str(order["total"]))
    assert GERMAN_EUROS.fullmatch(tags.by_id["order-total"].strip())
    address = re.search(r"<address[^>]*>(.*?)</address>", html, re.S)
    assert address is not None
    lines = [ln.strip() for ln in address.group(1).split("<br>") if ln.strip()]
    assert "Lena Käufer" in lines and "Hauptstr. 1" in lines
    assert any("10115" in ln and "Berlin" in ln.title() for ln in lines), lines
    assert re.search(r'<strong class="order-status" data-status="paid">paid</strong>', html)
    rows = dict(re.findall(r'<th scope="row">([^<]+)</th><td[^>]*>([^<]*)</td>', html))
    for label in ("Items", "Delivery", "Import duty", "Import VAT / GST", "Paid"):
        assert label in rows and GERMAN_EUROS.fullmatch(rows[label].strip()), (label, rows)
    parts = ("Items", "Delivery", "Import duty", "Import VAT / GST", "Border fees")
    assert sum(int(digits(rows[p])) for p in parts) == int(digits(rows["Paid"]))
    assert " EUR" not in html


async def test_another_buyer_asking_for_the_order_gets_a_404_page(
        stores, settings, app_client):
    _, order = await paid_order(stores, settings, app_client)
    other = await make_buyer(stores, settings, "DE")
    html = assert_page(await app_client.get(f"/orders/{order['id']}", headers=other.headers),
                       404)
    assert "Lena Käufer" not in html and "Hauptstr" not in html


async def test_an_unknown_order_is_a_404_page(stores, settings, app_client):
    lena = await make_buyer(stores, settings, "DE")
    assert_page(await app_client.get("/orders/ord_nope", headers=lena.headers), 404)


async def test_a_signed_out_visitor_gets_a_401_page_for_orders(stores, settings, app_client):
    _, order = await paid_order(stores, settings, app_client)
    for path in ("/orders", f"/orders/{order['id']}"):
        html = assert_page(await app_client.get(path), 401)
        assert "Sign in" in html and "Hauptstr" not in html


async def test_seller_staff_are_not_buyers_on_the_orders_pages(stores, settings, app_client):
    shop, _ = await seller(stores, settings, app_client)
    for path in ("/orders", "/orders/ord_nope"):
        assert_page(await app_client.get(path, headers=shop.tenant.headers), 401)


async def test_a_price_worked_out_at_an_old_exchange_rate_says_it_is_estimated(
        stores, settings, app_client, monkeypatch):
    """KR judges its duty-free limit in US dollars: a price in won goes through the shipped
    ECB rates of 2026-10-06, two months old on the page's day, so the page says "estimated"
    and names the rate's date, in the buyer's language."""
    from datetime import UTC, datetime

    from chuhai.core.db import UnitOfWork
    from chuhai.inventory import stock as stock_service
    from chuhai.inventory.schemas import WarehouseIn
    from chuhai.shop import catalog

    shop, slug = await seller(stores, settings, app_client)
    product = await create_product(app_client, shop.tenant, code="KR-1", listings=[
        {"market": "KR", "title": "무선 이어폰", "price": "52000"}])
    uow = UnitOfWork(stores)
    wh = await stock_service.create_warehouse(uow, shop.tenant.actor, WarehouseIn.model_validate(
        {"code": "SZ-KR", "name": "SZ-KR", "kind": "origin", "country": "CN",
         "lanes": {"KR": {"min_days": 3, "max_days": 6, "cost": "4000"}}}))
    await uow.commit()
    await uow.close()
    await receive(stores, shop, product["skus"][0]["id"], wh.id)
    monkeypatch.setattr(catalog, "utcnow", lambda: datetime(2026, 12, 6, 12, tzinfo=UTC))
    tags = Tags(assert_page(await app_client.get(
        f"/shop/{slug}/products/{product['id']}?market=KR&lang=ko")))
    assert "추정치" in assert_page(await app_client.get(
        f"/shop/{slug}/products/{product['id']}?market=KR&lang=ko"))
    note = tags.by_id["fx-note"]
    assert "2026. 10. 6." in note, note  # the rate's date, in Korean
