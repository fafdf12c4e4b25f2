"""Contract tests of the machine-translation providers against local stand-ins of their APIs.

Each hosted provider (LibreTranslate, DeepL v2, an OpenAI-compatible chat endpoint) talks
over real HTTP to a small fake of its API, served by uvicorn on 127.0.0.1 on a free port.
The fakes check a request the way the real service does (path, auth header, JSON fields,
language codes) and answer the way it does (body shape, status codes for a bad key, a spent
quota, throttling, an unsupported language). Their "translation" is a tiny word list that
keeps every other token — so a ``[[T0]]`` placeholder survives unless a test asks for it to
be dropped.

What the providers promise the chain:

* a good request comes back as the translated text;
* an HTTP error becomes ``ProviderError`` with a stable code (``unauthorized``,
  ``quota_exceeded``, ``rate_limited``, ``bad_request``, ``not_found``);
* a reply that is not JSON, or JSON of the wrong shape, is ``bad_reply``;
* a closed port is ``unreachable``; a server slower than the provider's timeout is
  recorded by the chain as a timeout and the next provider answers instead.

Argos (offline) is tested without the real library: ``.argosmodel`` files are built in
``tmp_path``, and ``argostranslate.translate`` is replaced by a stub module.
"""

from __future__ import annotations

import asyncio
import json
import re
import socket
import sys
import threading
import time
import types
import zipfile
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from chuhai.comms.glossary import Glossary, Term
from chuhai.comms.providers.argos import (
    Argos,
    ArgosPackage,
    PackageError,
    install_package,
    installed_packages,
    read_package,
)
from chuhai.comms.providers.deepl import DeepL, default_url
from chuhai.comms.providers.http import HttpProvider
from chuhai.comms.providers.libretranslate import LibreTranslate
from chuhai.comms.providers.openai_compat import OpenAICompatible, system_prompt
from chuhai.comms.translator import ProviderError, TranslationChain, TranslationUnavailable

# ---------------------------------------------------------------------------------------
# The fake "translation": a few words per target language; every other token is kept.

WORDS: dict[str, dict[str, str]] = {
    "de": {"hello": "hallo", "world": "Welt", "thanks": "danke", "size": "Größe"},
    "fr": {"hello": "bonjour", "world": "monde", "thanks": "merci"},
    "pt": {"hello": "olá", "world": "mundo", "thanks": "obrigado"},
    "zh": {"hello": "你好", "world": "世界", "thanks": "谢谢"},
    "en": {"hallo": "hello", "welt": "world", "danke": "thanks"},
}
LANG_NAMES = {"English": "en", "German": "de", "French": "fr", "Portuguese": "pt",
              "Chinese": "zh"}
_PLACEHOLDER = re.compile(r"\[\[T\d+\]\]")


def fake_translate(text: str, target: str) -> str:
    table = WORDS.get(target, {})
    return " ".join(table.get(tok.lower(), tok) for tok in text.split(" "))


@dataclass
class Seen:
    """What a fake server received, for the assertions on the request itself."""

    path: str
    headers: dict[str, str]
    body: Any


@dataclass
class FakeApi:
    base_url: str
    requests: list[Seen] = field(default_factory=list)

    @property
    def last(self) -> Seen:
        return self.requests[-1]


async def _json_body(request: Request) -> Any:
    try:
        return json.loads(await request.body())
    except ValueError:
        return None


# ---------------------------------------------------------------------------------------
# LibreTranslate: POST /translate {q, source, target, format, api_key?} → {translatedText}

LIBRE_KEYS = {"libre-good-key"}
LIBRE_THROTTLED_KEY = "libre-throttled-key"
LIBRE_LANGS = {"en", "de", "fr", "pt", "zh", "es"}


def libretranslate_app(log: list[Seen]) -> Starlette:
    async def translate(request: Request) -> Response:
        body = await _json_body(request)
        log.append(Seen(request.url.path, dict(request.headers), body))
        if not isinstance(body, dict):
            return JSONResponse({"error": "Invalid request"}, 400)
        key = body.get("api_key")
        if key == LIBRE_THROTTLED_KEY:
            return JSONResponse({"error": "Slowdown: 20 per 1 minute"}, 429)
        if key is not None and key not in LIBRE_KEYS:
            return JSONResponse({"error": "Invalid API key"}, 403)
        for name in ("q", "source", "target"):
            if not body.get(name):
                return JSONResponse({"error": f"Invalid request: missing {name} parameter"},
                                    400)
        if body.get("format", "text") not in ("text", "html"):
            return JSONResponse({"error": "Invalid request: format"}, 400)
        for name in ("source", "target"):
            if body[name] not in LIBRE_LANGS and not (name == "source"
                                                      and body[name] == "auto"):
                return JSONResponse({"error": f"{body[name]} is not supported"}, 400)
        return JSONResponse({"translatedText": fake_translate(body["q"], body["target"])})

    return Starlette(routes=[Route("/translate", translate, methods=["POST"])])


# ---------------------------------------------------------------------------------------
# DeepL v2: POST /v2/translate, Authorization: DeepL-Auth-Key …, {text: [...], …}

DEEPL_KEY = "deepl-good-key:fx"
DEEPL_SPENT_KEY = "deepl-quota-spent:fx"
DEEPL_BUSY_KEY = "deepl-busy:fx"
DEEPL_SOURCES = {"EN", "DE", "FR", "PT", "ZH", "ES", "JA"}
DEEPL_TARGETS = {"DE", "FR", "ES", "JA", "EN-US", "EN-GB", "PT-BR", "PT-PT", "ZH", "ZH-HANS",
                 "ZH-HANT"}


def deepl_app(log: list[Seen]) -> Starlette:
    async def translate(request: Request) -> Response:
        body = await _json_body(request)
        log.append(Seen(request.url.path, dict(request.headers), body))
        auth = request.headers.get("authorization", "")
        if not auth.startswith("DeepL-Auth-Key "):
            return JSONResponse({"message": "Forbidden"}, 403)
        key = auth.removeprefix("DeepL-Auth-Key ")
        if key == DEEPL_SPENT_KEY:
            return JSONResponse({"message": "Quota Exceeded"}, 456)
        if key == DEEPL_BUSY_KEY:
            return JSONResponse({"message": "Too many requests"}, 429)
        if key != DEEPL_KEY:
            return JSONResponse({"message": "Forbidden"}, 403)
        if not request.headers.get("content-type", "").startswith("application/json"):
            return JSONResponse({"message": "Parameter 'text' not specified."}, 400)
        if not isinstance(body, dict):
            return JSONResponse({"message": "Invalid request"}, 400)
        texts = body.get("text")
        if (not isinstance(texts, list) or not texts
                or not all(isinstance(t, str) for t in texts)):
            return JSONResponse({"message": "Parameter 'text' not specified."}, 400)
        source = body.get("source_lang")
        target = body.get("target_lang")
        if source is not None and source not in DEEPL_SOURCES:
            return JSONResponse({"message": "Value for 'source_lang' not supported."}, 400)
        if target in ("EN", "PT"):
            return JSONResponse({"message": f"targetLang='{target.lower()}' is deprecated, "
                                            "please use a regional variant instead."}, 400)
        if target not in DEEPL_TARGETS:
            return JSONResponse({"message": "Value for 'target_lang' not supported."}, 400)
        lang = target.split("-")[0].lower()
        return JSONResponse({"translations": [
            {"detected_source_language": source or "EN", "text": fake_translate(t, lang)}
            for t in texts]})

    return Starlette(routes=[Route("/v2/translate", translate, methods=["POST"])])


# ---------------------------------------------------------------------------------------
# OpenAI-compatible: POST /chat/completions, Bearer key, {model, messages, temperature}

OPENAI_KEY = "sk-good"
OPENAI_THROTTLED_KEY = "sk-throttled"
MODEL = "tiny-mt"
SLOPPY_MODEL = "sloppy-mt"   # drops [[T…]] placeholders, as a model may
QUOTING_MODEL = "quoting-mt"  # wraps the answer in quotes and newlines


def openai_app(log: list[Seen]) -> Starlette:
    def error(status: int, message: str, code: str) -> JSONResponse:
        return JSONResponse({"error": {"message": message, "type": "invalid_request_error",
                                       "param": None, "code": code}}, status)

    async def completions(request: Request) -> Response:
        body = await _json_body(request)
        log.append(Seen(request.url.path, dict(request.headers), body))
        auth = request.headers.get("authorization", "")
        if auth == f"Bearer {OPENAI_THROTTLED_KEY}":
            return error(429, "Rate limit reached for requests", "rate_limit_exceeded")
        if auth != f"Bearer {OPENAI_KEY}":
            return error(401, "Incorrect API key provided", "invalid_api_key")
        if not isinstance(body, dict):
            return error(400, "We could not parse the JSON body of your request.", "bad_json")
        model = body.get("model")
        if model not in (MODEL, SLOPPY_MODEL, QUOTING_MODEL):
            return error(404, f"The model `{model}` does not exist", "model_not_found")
        temperature = body.get("temperature", 1)
        if not isinstance(temperature, int | float) or not 0 <= temperature <= 2:
            return error(400, "Invalid 'temperature'", "invalid_value")
        messages = body.get("messages")
        if (not isinstance(messages, list) or not messages
                or not all(isinstance(m, dict) and m.get("role") in ("system", "user",
                                                                     "assistant")
                           and isinstance(m.get("content"), str) for m in messages)):
            return error(400, "Invalid 'messages'", "invalid_value")
        system = next((m["content"] for m in messages if m["role"] == "system"), "")
        user = [m["content"] for m in messages if m["role"] == "user"][-1]
        found = re.search(r"\bto (\w+)", system)
        target = LANG_NAMES.get(found.group(1), "") if found else ""
        out = fake_translate(user, target)
        if model == SLOPPY_MODEL:
            out = _PLACEHOLDER.sub("", out).strip()
        if model == QUOTING_MODEL:
            out = f'\n"{out}"\n'
        return JSONResponse({
            "id": "chatcmpl-test", "object": "chat.completion", "created": 0, "model": model,
            "choices": [{"index": 0, "finish_reason": "stop",
                         "message": {"role": "assistant", "content": out}}],
            "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2}})

    return Starlette(routes=[Route("/chat/completions", completions, methods=["POST"])])


# ---------------------------------------------------------------------------------------
# A misbehaving upstream: any path under /slow, /not-json or /wrong-shape.

SLOW_S = 1.0


def broken_app(log: list[Seen]) -> Starlette:
    async def slow(request: Request) -> Response:
        log.append(Seen(request.url.path, dict(request.headers), await _json_body(request)))
        await asyncio.sleep(SLOW_S)
        return JSONResponse({"translatedText": "too late", "translations": [{"text": "late"}],
                             "choices": [{"message": {"content": "late"}}]})

    async def not_json(request: Request) -> Response:
        log.append(Seen(request.url.path, dict(request.headers), await _json_body(request)))
        return PlainTextResponse("<html><body>502 Bad Gateway</body></html>", 200,
                                 media_type="text/html")

    async def wrong_shape(request: Request) -> Response:
        log.append(Seen(request.url.path, dict(request.headers), await _json_body(request)))
        return JSONResponse({"translations": [], "choices": [], "result": "hallo"})

    return Starlette(routes=[
        Route("/slow/{rest:path}", slow, methods=["POST"]),
        Route("/not-json/{rest:path}", not_json, methods=["POST"]),
        Route("/wrong-shape/{rest:path}", wrong_shape, methods=["POST"]),
    ])


# ---------------------------------------------------------------------------------------
# Serving the fakes: uvicorn in a background thread, on a port the OS picked.


class ServedApp:
    def __init__(self, make_app: Callable[[list[Seen]], Starlette]) -> None:
        self.log: list[Seen] = []
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.bind(("127.0.0.1", 0))
        port = self.sock.getsockname()[1]
        self.url = f"http://127.0.0.1:{port}"
        config = uvicorn.Config(make_app(self.log), lifespan="off", log_level="warning",
                                access_log=False, loop="asyncio", http="h11",
                                timeout_graceful_shutdown=2)
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run,
                                       kwargs={"sockets": [self.sock]}, daemon=True)

    def start(self) -> None:
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started:
            if not self.thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the fake API server did not start")
            time.sleep(0.01)

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=5)
        self.sock.close()


@dataclass
class Fakes:
    libre: FakeApi
    deepl: FakeApi
    openai: FakeApi
    broken: FakeApi


@pytest.fixture(scope="module")
def fakes() -> Iterator[Fakes]:
    served = [ServedApp(libretranslate_app), ServedApp(deepl_app), ServedApp(openai_app),
              ServedApp(broken_app)]
    try:
        for s in served:
            s.start()
        yield Fakes(*(FakeApi(s.url, s.log) for s in served))
    finally:
        for s in served:
            s.stop()


@pytest.fixture
def closed_port() -> Iterator[int]:
    """A port bound on 127.0.0.1 but not listening: a connection to it is refused."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    try:
        yield sock.getsockname()[1]
    finally:
        sock.close()


@pytest.fixture
async def closing() -> AsyncIterator[Callable[[HttpProvider], Any]]:
    """Registers providers whose pooled HTTP client is closed when the test ends."""
    opened: list[HttpProvider] = []

    def register(p: Any) -> Any:
        opened.append(p)
        return p

    yield register
    for p in opened:
        await p.aclose()


TIMEOUT_S = 3.0


def libre(url: str, key: str | None = "libre-good-key", timeout_s: float = TIMEOUT_S
          ) -> LibreTranslate:
    return LibreTranslate(url, key, timeout_s)


def deepl(url: str, key: str = DEEPL_KEY, timeout_s: float = TIMEOUT_S) -> DeepL:
    return DeepL(key, url, timeout_s)


def llm(url: str, key: str | None = OPENAI_KEY, model: str = MODEL,
        timeout_s: float = TIMEOUT_S) -> OpenAICompatible:
    return OpenAICompatible(url, key, model, timeout_s)


MAKERS: dict[str, Callable[..., HttpProvider]] = {
    "libretranslate": libre, "deepl": deepl, "llm": llm}


# =======================================================================================
# LibreTranslate


async def test_libretranslate_sends_q_source_target_format_and_key_and_reads_translated_text(
        fakes: Fakes, closing: Callable[..., Any]) -> None:
    p = closing(libre(fakes.libre.base_url))

    out = await p.translate("hello [[T0]] world", "en", "de")

    assert out == "hallo [[T0]] Welt"
    seen = fakes.libre.last
    assert seen.path == "/translate"
    assert seen.body == {"q": "hello [[T0]] world", "source": "en", "target": "de",
                         "format": "text", "api_key": "libre-good-key"}


async def test_libretranslate_without_a_key_sends_no_api_key_field(
        fakes: Fakes, closing: Callable[..., Any]) -> None:
    p = closing(libre(fakes.libre.base_url, key=None))

    assert await p.translate("thanks", "en", "fr") == "merci"
    assert "api_key" not in fakes.libre.last.body


async def test_libretranslate_a_trailing_slash_in_the_url_is_harmless(
        fakes: Fakes, closing: Callable[..., Any]) -> None:
    p = closing(libre(fakes.libre.base_url + "/"))

    assert await p.translate("hello", "en", "pt") == "olá"
    assert fakes.libre.last.path == "/translate"


@pytest.mark.parametrize(("key", "source", "target", "code", "status"), [
    ("wrong-key", "en", "de", "unauthorized", 403),
    ("libre-good-key", "en", "xx", "bad_request", 400),
    ("libre-good-key", "tlh", "de", "bad_request", 400),
    (LIBRE_THROTTLED_KEY, "en", "de", "rate_limited", 429),
], ids=["wrong-key", "unsupported-target", "unsupported-source", "throttled"])
async def test_libretranslate_error_status_becomes_a_stable_provider_error_code(
        fakes: Fakes, closing: Callable[..., Any], key: str, source: str, target: str,
        code: str, status: int) -> None:
    p = closing(libre(fakes.libre.base_url, key=key))

    with pytest.raises(ProviderError) as err:
        await p.translate("hello", source, target)

    assert err.value.code == code
    assert f"HTTP {status}" in str(err.value)


async def test_libretranslate_wrong_key_message_carries_the_servers_reason(
        fakes: Fakes, closing: Callable[..., Any]) -> None:
    p = closing(libre(fakes.libre.base_url, key="nope"))

    with pytest.raises(ProviderError, match="Invalid API key"):
        await p.translate("hello", "en", "de")


def test_libretranslate_without_a_url_is_unavailable() -> None:
    assert LibreTranslate("", None, 1).unavailable("en", "de") == "no URL configured"
    assert LibreTranslate("http://lt.local", None, 1).unavailable("en", "de") is None


# =======================================================================================
# DeepL


async def test_deepl_sends_auth_header_and_text_list_and_reads_first_translation(
        fakes: Fakes, closing: Callable[..., Any]) -> None:
    p = closing(deepl(fakes.deepl.base_url))

    out = await p.translate("hello [[T0]]", "en", "de")

    assert out == "hallo [[T0]]"
    seen = fakes.deepl.last
    assert seen.path == "/v2/translate"
    assert seen.headers["authorization"] == f"DeepL-Auth-Key {DEEPL_KEY}"
    assert seen.headers["content-type"].startswith("application/json")
    assert seen.body == {"text": ["hello [[T0]]"], "source_lang": "EN", "target_lang": "DE"}


@pytest.mark.parametrize(("target", "variant", "expected"), [
    ("en", "EN-US", "hello"),
    ("pt", "PT-BR", "olá"),
    ("zh", "ZH-HANS", "你好"),
])
async def test_deepl_asks_for_the_regional_variant_our_markets_read(
        fakes: Fakes, closing: Callable[..., Any], target: str, variant: str,
        expected: str) -> None:
    p = closing(deepl(fakes.deepl.base_url))
    source, text = ("de", "hallo") if target == "en" else ("en", "hello")

    assert await p.translate(text, source, target) == expected
    assert fakes.deepl.last.body["target_lang"] == variant
    assert fakes.deepl.last.body["source_lang"] == source.upper()  # never a variant


@pytest.mark.parametrize(("key", "target", "code", "status"), [
    ("not-a-deepl-key", "de", "unauthorized", 403),
    (DEEPL_SPENT_KEY, "de", "quota_exceeded", 456),
    (DEEPL_BUSY_KEY, "de", "rate_limited", 429),
    (DEEPL_KEY, "xx", "bad_request", 400),
], ids=["bad-key", "quota-spent", "throttled", "unsupported-target"])
async def test_deepl_error_status_becomes_a_stable_provider_error_code(
        fakes: Fakes, closing: Callable[..., Any], key: str, target: str, code: str,
        status: int) -> None:
    p = closing(deepl(fakes.deepl.base_url, key=key))

    with pytest.raises(ProviderError) as err:
        await p.translate("hello", "en", target)

    assert err.value.code == code
    assert f"HTTP {status}" in str(err.value)


def test_deepl_free_plan_keys_go_to_the_free_endpoint() -> None:
    assert default_url("abc:fx") == "https://api-free.deepl.com"
    assert default_url("abc") == "https://api.deepl.com"
    assert DeepL("abc:fx", None, 1).base_url == "https://api-free.deepl.com"
    assert DeepL("abc", "http://proxy.local/", 1).base_url == "http://proxy.local"


def test_deepl_without_a_key_is_unavailable() -> None:
    assert DeepL("", "http://x", 1).unavailable("en", "de") == "no API key configured"
    assert DeepL("k", "http://x", 1).unavailable("en", "de") is None


# =======================================================================================
# OpenAI-compatible chat completions


async def test_llm_sends_model_system_and_user_messages_with_bearer_key(
        fakes: Fakes, closing: Callable[..., Any]) -> None:
    p = closing(llm(fakes.openai.base_url))

    out = await p.translate("hello [[T0]] world", "en", "de")

    assert out == "hallo [[T0]] Welt"
    seen = fakes.openai.last
    assert seen.path == "/chat/completions"
    assert seen.headers["authorization"] == f"Bearer {OPENAI_KEY}"
    assert seen.body["model"] == MODEL
    assert seen.body["temperature"] == 0
    roles = [m["role"] for m in seen.body["messages"]]
    assert roles == ["system", "user"]
    assert seen.body["messages"][1]["content"] == "hello [[T0]] world"


@pytest.mark.parametrize(("source", "target", "names"), [
    ("en", "de", ("English", "German")),
    ("zh", "pt", ("Chinese", "Portuguese")),
])
async def test_llm_system_prompt_names_both_languages_and_asks_to_keep_placeholders(
        fakes: Fakes, closing: Callable[..., Any], source: str, target: str,
        names: tuple[str, str]) -> None:
    p = closing(llm(fakes.openai.base_url))

    await p.translate("hello", source, target)

    system = fakes.openai.last.body["messages"][0]["content"]
    assert system == system_prompt(source, target)
    assert f"from {names[0]} to {names[1]}" in system
    assert "[[T0]]" in system and "keep" in system.lower()


def test_llm_system_prompt_falls_back_to_the_code_for_an_unknown_language() -> None:
    assert "from qq-zz to German" in system_prompt("qq-zz", "de")


async def test_llm_strips_quotes_and_whitespace_a_chatty_model_adds(
        fakes: Fakes, closing: Callable[..., Any]) -> None:
    p = closing(llm(fakes.openai.base_url, model=QUOTING_MODEL))

    assert await p.translate("hello world", "en", "de") == "hallo Welt"


async def test_llm_without_a_key_sends_no_authorization_header(
        fakes: Fakes, closing: Callable[..., Any]) -> None:
    p = closing(llm(fakes.openai.base_url, key=None))

    with pytest.raises(ProviderError) as err:
        await p.translate("hello", "en", "de")

    assert err.value.code == "unauthorized"
    assert "authorization" not in fakes.openai.last.headers


@pytest.mark.parametrize(("key", "model", "code", "status"), [
    ("sk-wrong", MODEL, "unauthorized", 401),
    (OPENAI_THROTTLED_KEY, MODEL, "rate_limited", 429),
    (OPENAI_KEY, "no-such-model", "not_found", 404),
], ids=["bad-key", "throttled", "unknown-model"])
async def test_llm_error_status_becomes_a_stable_provider_error_code(
        fakes: Fakes, closing: Callable[..., Any], key: str, model: str, code: str,
        status: int) -> None:
    p = closing(llm(fakes.openai.base_url, key=key, model=model))

    with pytest.raises(ProviderError) as err:
        await p.translate("hello", "en", "de")

    assert err.value.code == code
    assert f"HTTP {status}" in str(err.value)


def test_llm_without_url_or_model_is_unavailable() -> None:
    assert OpenAICompatible("", None, "m", 1).unavailable("en", "de") is not None
    assert OpenAICompatible("http://x", None, "", 1).unavailable("en", "de") is not None
    assert OpenAICompatible("http://x", None, "m", 1).unavailable("en", "de") is None


# =======================================================================================
# Every hosted provider: bad replies, unreachable servers, slow servers


@pytest.mark.parametrize("name", sorted(MAKERS))
@pytest.mark.parametrize("mode", ["not-json", "wrong-shape"])
async def test_a_reply_that_is_not_the_apis_json_is_bad_reply(
        fakes: Fakes, closing: Callable[..., Any], name: str, mode: str) -> None:
    p = closing(MAKERS[name](f"{fakes.broken.base_url}/{mode}"))

    with pytest.raises(ProviderError) as err:
        await p.translate("hello", "en", "de")

    assert err.value.code == "bad_reply"


@pytest.mark.parametrize("name", sorted(MAKERS))
async def test_a_closed_port_is_unreachable(
        closing: Callable[..., Any], closed_port: int, name: str) -> None:
    p = closing(MAKERS[name](f"http://127.0.0.1:{closed_port}"))

    with pytest.raises(ProviderError) as err:
        await p.translate("hello", "en", "de")

    assert err.value.code == "unreachable"


@pytest.mark.parametrize("name", sorted(MAKERS))
async def test_a_provider_slower_than_its_timeout_is_recorded_and_the_next_one_answers(
        fakes: Fakes, closing: Callable[..., Any], name: str) -> None:
    slow = closing(MAKERS[name](f"{fakes.broken.base_url}/slow", timeout_s=0.2))
    backup = closing(libre(fakes.libre.base_url))
    chain = TranslationChain([slow, backup])

    started = time.perf_counter()
    result = await chain.translate("hello world", "en", "de")
    elapsed = time.perf_counter() - started

    assert result.text == "hallo Welt"
    assert result.provider == "libretranslate"
    assert elapsed < SLOW_S  # the slow server was not waited for
    slow_entries = [t for t in result.trace if t.startswith(f"{name}: ")]
    assert len(slow_entries) == 1
    # the chain's own deadline or the HTTP client's read timeout, whichever fires first
    assert "timed out" in slow_entries[0] or slow_entries[0].startswith(f"{name}: timeout")


async def test_an_unreachable_provider_is_passed_over_with_its_reason_in_the_trace(
        fakes: Fakes, closing: Callable[..., Any], closed_port: int) -> None:
    down = closing(deepl(f"http://127.0.0.1:{closed_port}"))
    chain = TranslationChain([down, closing(libre(fakes.libre.base_url))])

    result = await chain.translate("thanks", "en", "de")

    assert (result.text, result.provider) == ("danke", "libretranslate")
    assert any(t.startswith("deepl: unreachable") for t in result.trace)


async def test_glossary_terms_travel_through_a_real_provider_as_placeholders(
        fakes: Fakes, closing: Callable[..., Any]) -> None:
    glossary = Glossary.of([Term("Aurora")])
    chain = TranslationChain([closing(deepl(fakes.deepl.base_url))])

    result = await chain.translate("hello Aurora world", "en", "de", glossary=glossary)

    assert result.text == "hallo Aurora Welt"
    assert fakes.deepl.last.body["text"] == ["hello [[T0]] world"]


async def test_a_model_that_drops_a_placeholder_is_refused_for_the_next_provider(
        fakes: Fakes, closing: Callable[..., Any]) -> None:
    glossary = Glossary.of([Term("Aurora")])
    sloppy = closing(llm(fakes.openai.base_url, model=SLOPPY_MODEL))
    chain = TranslationChain([sloppy, closing(libre(fakes.libre.base_url))])

    result = await chain.translate("hello Aurora", "en", "de", glossary=glossary)

    assert (result.text, result.provider) == ("hallo Aurora", "libretranslate")
    assert any(t.startswith("llm: refused") for t in result.trace)


# =======================================================================================
# Argos: .argosmodel packages and the offline provider


META = {"from_code": "en", "to_code": "de", "package_version": "1.0"}


def make_package(path: Path, entries: dict[str, bytes | str] | None = None,
                 meta: dict[str, Any] | str | None = None, top: str = "translate-en_de-1_0",
                 model: bool = True) -> Path:
    """An ``.argosmodel``: a zip holding one folder with metadata.json and model/."""
    files: dict[str, bytes | str] = {}
    if meta is not None:
        files[f"{top}/metadata.json"] = meta if isinstance(meta, str) else json.dumps(meta)
    if model:
        files[f"{top}/model/model.bin"] = b"\x00weights\x00"
        files[f"{top}/sentencepiece.model"] = b"spm"
    files.update(entries or {})
    with zipfile.ZipFile(path, "w") as zf:
        for name, data in files.items():
            zf.writestr(name, data)
    return path


@pytest.fixture
def good_package(tmp_path: Path) -> Path:
    return make_package(tmp_path / "en_de.argosmodel", meta=META)


def test_read_package_returns_the_metadata_and_the_top_folder(good_package: Path) -> None:
    meta, top = read_package(good_package)

    assert meta == META
    assert top == "translate-en_de-1_0"


def test_install_package_unpacks_into_a_folder_named_for_the_pair(
        tmp_path: Path, good_package: Path) -> None:
    packages = tmp_path / "argos" / "packages"

    pkg = install_package(good_package, packages)

    assert pkg == ArgosPackage("en", "de", "1.0", packages / "translate-en_de")
    assert (pkg.path / "model" / "model.bin").read_bytes() == b"\x00weights\x00"
    assert json.loads((pkg.path / "metadata.json").read_text()) == META
    assert sorted(p.name for p in packages.iterdir()) == ["translate-en_de"]  # no staging
    assert installed_packages(packages) == [pkg]


def test_installing_a_newer_package_for_the_pair_replaces_the_old_one(
        tmp_path: Path, good_package: Path) -> None:
    packages = tmp_path / "packages"
    install_package(good_package, packages)
    newer = make_package(tmp_path / "newer.argosmodel", top="translate-en_de-1_1",
                         meta={**META, "package_version": "1.1"})

    install_package(newer, packages)

    assert [(p.from_code, p.to_code, p.version) for p in installed_packages(packages)] == [
        ("en", "de", "1.1")]


def test_installed_packages_skips_folders_with_broken_metadata(
        tmp_path: Path, good_package: Path) -> None:
    packages = tmp_path / "packages"
    install_package(good_package, packages)
    (packages / "broken").mkdir()
    (packages / "broken" / "metadata.json").write_text("{not json")
    (packages / "incomplete").mkdir()
    (packages / "incomplete" / "metadata.json").write_text('{"from_code": "en"}')
    (packages / "a-list").mkdir()
    (packages / "a-list" / "metadata.json").write_text('["en", "de"]')

    assert [p.path.name for p in installed_packages(packages)] == ["translate-en_de"]
    assert installed_packages(tmp_path / "does-not-exist") == []


@pytest.mark.parametrize(("build", "message"), [
    (lambda d: (d / "x.argosmodel").write_text("not a zip") and d / "x.argosmodel",
     "not a zip"),
    (lambda d: make_package(d / "x.argosmodel", meta=None), "metadata.json is missing"),
    (lambda d: make_package(d / "x.argosmodel", meta="{broken"), "not JSON"),
    (lambda d: make_package(d / "x.argosmodel", meta="[]"), "not a JSON object"),
    (lambda d: make_package(d / "x.argosmodel", meta={"from_code": "en"}), "to_code"),
    (lambda d: make_package(d / "x.argosmodel", meta=META, entries={"../evil": "x"}),
     "exactly one folder"),
    (lambda d: make_package(d / "x.argosmodel", meta=META,
                            entries={"translate-en_de-1_0/../../evil": "x"}),
     "unsafe path"),
    (lambda d: make_package(d / "x.argosmodel", meta=META,
                            entries={"other/metadata.json": json.dumps(META)}),
     "exactly one folder"),
    (lambda d: make_package(d / "x.argosmodel", meta=META, model=False), "no model/"),
    (lambda d: make_package(d / "x.argosmodel", meta={**META, "from_code": "../../escape"}),
     "from_code"),
    (lambda d: make_package(d / "x.argosmodel", meta={**META, "to_code": "de/../../x"}),
     "to_code"),
], ids=["not-a-zip", "no-metadata", "metadata-not-json", "metadata-not-an-object",
        "metadata-without-pair",
        "zip-slip-beside-the-folder", "zip-slip-inside-the-folder", "two-top-folders",
        "no-model-folder", "path-in-from-code", "path-in-to-code"])
def test_install_package_refuses_what_is_not_a_safe_argos_package(
        tmp_path: Path, build: Callable[[Path], Path], message: str) -> None:
    upload = tmp_path / "upload"
    upload.mkdir()
    file = build(upload)
    packages = tmp_path / "root" / "packages"

    with pytest.raises(PackageError, match=re.escape(message)) as err:
        install_package(file, packages)

    assert err.value.code == "bad_package"
    assert not packages.exists() or list(packages.iterdir()) == []
    assert sorted(p.name for p in tmp_path.iterdir()) == ["upload"]  # nothing escaped
    with pytest.raises(PackageError):
        read_package(file)


def test_read_package_of_a_missing_file_is_not_found(tmp_path: Path) -> None:
    with pytest.raises(PackageError) as err:
        read_package(tmp_path / "nope.argosmodel")
    assert err.value.code == "not_found"


@pytest.fixture
def no_argos_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """Argos sets ARGOS_PACKAGES_DIR on first use; undo that after the test."""
    monkeypatch.delenv("ARGOS_PACKAGES_DIR", raising=False)


@pytest.fixture
def argos_missing(monkeypatch: pytest.MonkeyPatch, no_argos_env: None) -> None:
    """`import argostranslate` fails, even on a machine where it is installed."""
    monkeypatch.setitem(sys.modules, "argostranslate", None)
    monkeypatch.setitem(sys.modules, "argostranslate.translate", None)


@pytest.fixture
def argos_stub(monkeypatch: pytest.MonkeyPatch, no_argos_env: None) -> list[tuple[Any, ...]]:
    """A stand-in `argostranslate.translate` whose translate() records its calls."""
    calls: list[tuple[Any, ...]] = []
    module = types.ModuleType("argostranslate.translate")

    def translate(text: str, from_code: str, to_code: str) -> str:
        calls.append((text, from_code, to_code, threading.get_ident()))
        return fake_translate(text, to_code)

    module.translate = translate  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "argostranslate.translate", module)
    return calls


def test_argos_without_a_package_for_the_pair_says_which_pair(
        tmp_path: Path, argos_missing: None) -> None:
    assert Argos(tmp_path / "packages").unavailable("en", "fr") == "no Argos package for en→fr"


def test_argos_with_the_package_but_without_the_library_names_the_library(
        tmp_path: Path, good_package: Path, argos_missing: None) -> None:
    packages = tmp_path / "packages"
    install_package(good_package, packages)
    argos = Argos(packages)

    reason = argos.unavailable("en", "de")

    assert reason is not None and "argostranslate is not installed" in reason
    assert argos.unavailable("en", "fr") == "no Argos package for en→fr"


async def test_argos_translate_without_the_library_is_not_installed(
        tmp_path: Path, argos_missing: None) -> None:
    with pytest.raises(ProviderError) as err:
        await Argos(tmp_path).translate("hello", "en", "de")
    assert err.value.code == "not_installed"


async def test_argos_translates_with_the_library_off_the_event_loop(
        tmp_path: Path, good_package: Path, argos_stub: list[tuple[Any, ...]]) -> None:
    import os

    packages = tmp_path / "packages"
    install_package(good_package, packages)
    argos = Argos(packages)

    assert argos.unavailable("en", "de") is None
    out = await argos.translate("hello [[T0]] world", "en", "de")

    assert out == "hallo [[T0]] Welt"
    [(text, src, tgt, thread)] = argos_stub
    assert (text, src, tgt) == ("hello [[T0]] world", "en", "de")
    assert thread != threading.get_ident()  # ran in a worker thread
    assert os.environ["ARGOS_PACKAGES_DIR"] == str(packages)


async def test_argos_in_the_chain_skips_a_missing_pair_and_serves_an_installed_one(
        tmp_path: Path, good_package: Path, argos_stub: list[tuple[Any, ...]]) -> None:
    packages = tmp_path / "packages"
    install_package(good_package, packages)
    chain = TranslationChain([Argos(packages)])

    result = await chain.translate("thanks", "en", "de")
    assert (result.text, result.provider, result.machine) == ("danke", "argos", True)

    with pytest.raises(TranslationUnavailable) as err:
        await chain.translate("thanks", "en", "fr")
    assert "argos: skipped (no Argos package for en→fr)" in err.value.trace


def test_argos_sees_a_newly_installed_pair_after_refresh(
        tmp_path: Path, good_package: Path, argos_stub: list[tuple[Any, ...]]) -> None:
    packages = tmp_path / "packages"
    argos = Argos(packages)
    assert argos.unavailable("en", "de") == "no Argos package for en→de"

    install_package(good_package, packages)
    argos.refresh()

    assert argos.unavailable("en", "de") is None
