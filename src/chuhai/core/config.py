"""Settings from the environment (``CHUHAI_*``) and an optional TOML file.

Nothing here runs at import time: the app, the CLI and the tests each build a ``Settings``
and pass it down, so that a test can point every store at its own files or schemas.
"""

from __future__ import annotations

import os
import secrets
import tomllib
from pathlib import Path
from typing import Annotated, Any

from pydantic import Field, field_validator
from pydantic_settings import (
    BaseSettings,
    NoDecode,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
)

DEFAULT_REGIONS: tuple[str, ...] = ("eu", "us", "apac", "cn", "me")


class _TomlSource(PydanticBaseSettingsSource):
    """Reads the file named by ``CHUHAI_CONFIG_FILE`` (a flat table of the same keys)."""

    def get_field_value(self, field: Any, field_name: str) -> tuple[Any, str, bool]:
        return None, field_name, False

    def __call__(self) -> dict[str, Any]:
        path = os.environ.get("CHUHAI_CONFIG_FILE")
        if not path:
            return {}
        with open(path, "rb") as fh:
            data = tomllib.load(fh)
        return dict(data.get("chuhai", data))


class Settings(BaseSettings):
    """All of chuhai's configuration; see the README's configuration table."""

    model_config = SettingsConfigDict(env_prefix="CHUHAI_", extra="ignore")

    data_dir: Path = Field(Path("./var"), description="Where SQLite files and media live.")
    database_url: str | None = Field(
        None,
        description="Global store URL. Default: SQLite file global.db in data_dir.",
    )
    regions: Annotated[tuple[str, ...], NoDecode] = Field(
        DEFAULT_REGIONS, description="Names of regional stores, comma-separated."
    )
    region_urls: dict[str, str] = Field(
        default_factory=dict,
        description='Regional store URLs as JSON, e.g. {"eu": "postgresql+asyncpg://…/eu"}. '
        "A region without a URL gets a SQLite file, or a schema when database_url is PostgreSQL.",
    )
    schema_prefix: str = Field(
        "chuhai_", description="PostgreSQL schema prefix when stores share one database."
    )
    secret_key: str = Field(
        default_factory=lambda: secrets.token_urlsafe(32),
        description="Keys the e-mail look-up hashes and signs guest ids. Default: generated "
        "once into data_dir/secret_key. Keep it stable: changing it breaks sign-in look-ups.",
    )
    redis_url: str | None = Field(None, description="Redis for fan-out, counters, limits.")
    host: str = Field("127.0.0.1", description="Bind address for `chuhai serve`.")
    forwarded_allow_ips: str = Field(
        "127.0.0.1", description="Proxies whose X-Forwarded-For is trusted (comma-separated, "
        "or *): set it to the load balancer's address so rate limits see client addresses.")
    port: int = Field(8000, description="Port for `chuhai serve`.")
    platform_org: str = Field(
        "platform", pattern=r"^[a-z0-9][a-z0-9-]{1,59}$",
        description="Slug of the platform's own org (created by `chuhai migrate`): its staff "
        "run the privacy office; buyers belong to it, not to any seller.")
    platform_country: str = Field(
        "DE", pattern=r"^[A-Z]{2}$",
        description="Where the platform is established: its staff's data lives in that "
        "country's region.")
    session_ttl_hours: int = Field(12, ge=1, le=24 * 30, description="Console session lifetime.")
    buyer_session_ttl_hours: int = Field(
        24 * 30, ge=1, le=24 * 90,
        description="Buyer (customer) session lifetime: 30 days, at most 90.")
    secure_cookies: bool = Field(
        False, description="Mark every cookie Secure. Off, a cookie is still Secure when its "
        "request came over HTTPS (directly, or from a proxy in forwarded_allow_ips).")
    max_body_bytes: int = Field(5 * 1024 * 1024, description="Largest request body accepted.")
    worker_threads: int = Field(
        0, ge=0, le=64, description="Threads for work that grows with its input (screening "
        "long texts, script checks, imports, exports); 0 = min(4, CPUs + 1).")
    fx_max_age_days: int | None = Field(
        None, ge=1, le=3650,
        description="Refuse to quote duties and taxes with an exchange rate older than this "
        "many days (fx_rate_stale). Unset: a rate older than 7 days still quotes, marked "
        "approximate, with a warning.")
    fx_refresh_url: str = Field(
        "https://www.ecb.europa.eu/stats/eurofxref/eurofxref-daily.xml",
        description="Where the background job fetches the ECB reference rates (every "
        "fx_refresh_hours, when the network allows). Empty: never fetch.")
    fx_refresh_hours: float = Field(
        6.0, gt=0, le=24 * 7,
        description="How often to look for new ECB reference rates (published once a "
        "working day, around 16:00 CET).")
    storage_url: str = Field(
        "", description="Where videos are stored: empty for the local media folder "
        "(data_dir/media, served at /media), or s3://bucket[/prefix] for any S3-compatible "
        "store.")
    storage_endpoint: str | None = Field(
        None, description="S3 endpoint URL (MinIO, SeaweedFS, R2 …); unset for AWS.")
    storage_key_id: str | None = Field(None, description="S3 access key id.")
    storage_secret: str | None = Field(None, description="S3 secret access key.")
    storage_region: str | None = Field(None, description="S3 region (default us-east-1).")
    storage_public_url: str | None = Field(
        None, description="Public base URL buyers load video files from (a CDN in front of "
        "the bucket); default: the endpoint and bucket.")
    jobs_url: str = Field(
        "", description="Job queue for video processing: empty for a SQLite file in "
        "data_dir (one machine), or redis://… so workers on several machines share it.")
    asr_engine: str = Field(
        "auto", pattern=r"^(auto|pocketsphinx|faster-whisper|vosk|openai)$",
        description="Speech recognition for automatic captions: auto picks faster-whisper or "
        "Vosk when asr_model_dir is set, the endpoint when asr_url is, else PocketSphinx "
        "(English, low accuracy).")
    asr_model_dir: str | None = Field(None, description="A local faster-whisper or Vosk "
                                      "model directory.")
    asr_url: str | None = Field(None, description="An OpenAI-compatible base URL for "
                                "/audio/transcriptions, e.g. https://api.openai.com/v1.")
    asr_api_key: str | None = Field(None, description="Bearer key for asr_url.")
    asr_model: str = Field("whisper-1", description="Model name sent to asr_url.")
    feed_snapshot_s: float = Field(
        5.0, ge=0, le=3600,
        description="How long a market's feed items and counts are reused before they are "
        "read again (0: every request; tests use it)")
    room_sales_cache_s: float = Field(
        1.0, ge=0, le=60,
        description="How long a room's sales (the host console's counters) are reused "
        "before they are read again: one read per room per node however many consoles ask "
        "(0: every request; tests use it)")
    sellout_alert_p: float = Field(
        0.5, gt=0, le=1,
        description="The probability of a pinned SKU selling out before the room's planned "
        "end from which the host console alerts and a room.sellout_risk webhook is sent")
    sellout_watch_s: float = Field(
        15.0, ge=0, le=600,
        description="How often every live room with a pinned product is estimated in the "
        "background, so the room.sellout_risk webhook goes out with no console open (one "
        "node reads each room per period; 0: only when a console asks)")
    asr_timeout_s: float = Field(600.0, gt=0, le=7200,
                                 description="How long speech recognition may take for one "
                                 "stretch of speech before the job is retried.")
    video_workers: int = Field(
        1, ge=0, le=16, description="Video processing threads inside `chuhai serve` (0: "
        "leave the queue to `chuhai worker` processes).")
    video_max_seconds: int = Field(180, ge=5, le=3600,
                                   description="Longest short video accepted, in seconds.")
    video_max_bytes: int = Field(2 * 1024 ** 3, ge=1024 ** 2, le=20 * 1024 ** 3,
                                 description="Largest video upload accepted, in bytes.")
    sql_echo: bool = Field(False, description="Log SQL statements.")
    ws_impl: str = Field(
        "chuhai", pattern=r"^(chuhai|websockets-sansio|websockets|wsproto|auto)$",
        description="WebSocket implementation for `chuhai serve`: `chuhai` is uvicorn's "
        "sansio protocol plus prepared frames (one framing per room and language), the "
        "others are uvicorn's own.")
    live_tick_ms: int = Field(100, ge=10, le=2000,
                              description="Room hub tick: likes and counters go out once per tick.")
    live_coalesce_ms: int = Field(20, ge=0, le=500,
                                  description="Events arriving within this window share a frame.")
    live_queue_size: int = Field(
        256, ge=8, le=10_000,
        description="Frames queued per viewer before it is dropped as slow.")
    background: bool = Field(
        True, description="Run the sweeper, payment reconciliation and webhook delivery "
        "loops in `chuhai serve` (every node may run them).")
    sweep_interval_ms: int = Field(
        1000, ge=50, le=60_000,
        description="How often lapsed reservations expire, waitlists move, auctions close.")
    drop_gate: bool = Field(
        True, description="With redis_url set: turn sold-out drop traffic away in Redis "
        "before it reaches SQL (SQL still decides).")
    payment_provider: str = Field(
        "test", pattern=r"^(test|stripe)$",
        description="`test` (built-in test cards) or `stripe` (needs stripe_api_key).")
    stripe_api_key: str | None = Field(None, description="Stripe secret key (sk_…).")
    stripe_webhook_secret: str | None = Field(
        None, description="Stripe webhook signing secret (whsec_…) for /api/payments/stripe.")
    webhook_allow_private: bool = Field(
        False, description="Allow outgoing webhooks to private or loopback addresses "
        "(off: a seller cannot make the server call into its own network).")
    translate_providers: Annotated[tuple[str, ...], NoDecode] = Field(
        ("argos", "llm", "deepl", "libretranslate"),
        description="Machine translators tried in order after the glossary and translation "
        "memory (comma-separated: argos, llm, deepl, libretranslate); unconfigured ones are "
        "skipped.")
    translate_timeout_s: float = Field(
        3.0, gt=0, le=60, description="How long one machine translator may take per line.")
    llm_url: str | None = Field(
        None, description="OpenAI-compatible endpoint for translation, e.g. "
        "http://127.0.0.1:8080/v1 (vLLM, llama.cpp, Ollama) or a cloud API.")
    llm_api_key: str | None = Field(None, description="Bearer key for llm_url.")
    llm_model: str | None = Field(None, description="Model name sent to llm_url.")
    deepl_api_key: str | None = Field(None, description="DeepL API key (free keys end :fx).")
    deepl_url: str | None = Field(None, description="DeepL API base URL (default from key).")
    libretranslate_url: str | None = Field(
        None, description="LibreTranslate base URL, e.g. http://127.0.0.1:5000.")
    libretranslate_api_key: str | None = Field(None, description="LibreTranslate API key.")
    disclosure_repeat_minutes: int = Field(
        10, ge=1, le=120, description="In a room with a disclosure (paid partnership), "
        "remind hosts to repeat it when they have not said it for this long.")
    screening: bool = Field(
        True, description="Screen every chat line against the room's markets' packs "
        "(rules/screening) before broadcast.")
    screening_meaning: bool = Field(
        True, description="Screen host lines, scripts and video text by meaning too (the "
        "rules' example sentences, multilingual-e5-small): claims said in other words.")
    screening_host_ms: float = Field(
        5.0, ge=0, le=1000,
        description="CPU milliseconds per second each room may spend screening its host's "
        "lines by meaning (10-40 ms per new line): a short line every few seconds at once; "
        "a line past it goes out on its patterns and is screened by "
        "meaning soon after, the host warned late. 0: host lines by patterns only")
    screening_viewer_ms: float = Field(
        5.0, ge=0, le=1000,
        description="CPU milliseconds per second each room may spend screening viewer lines "
        "by meaning (10-40 ms per new line; lines seen before are free). 0: viewer lines "
        "by patterns only")
    privacy_policy_version: str = Field(
        "2026-11-25", pattern=r"^[A-Za-z0-9._-]{1,20}$",
        description="Version of the privacy notice people consent to; recorded with "
        "every consent decision.")
    translate_chat: bool = Field(
        True, description="Translate chat lines into the languages of the room's markets "
        "and viewers (each line once per language).")

    @field_validator("translate_providers", mode="before")
    @classmethod
    def _split_providers(cls, value: Any) -> Any:
        if isinstance(value, str):
            return tuple(p.strip() for p in value.split(",") if p.strip())
        return value

    @field_validator("regions", mode="before")
    @classmethod
    def _split_regions(cls, value: Any) -> Any:
        if isinstance(value, str) and not value.startswith("["):
            return tuple(r.strip() for r in value.split(",") if r.strip())
        return value

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (init_settings, env_settings, _TomlSource(settings_cls), file_secret_settings)
