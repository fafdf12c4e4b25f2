"""DeepL API v2: POST /v2/translate with ``Authorization: DeepL-Auth-Key``; free-plan keys
(ending ":fx") go to api-free.deepl.com. Target variants are chosen for our markets:
English → EN-US, Portuguese → PT-BR (Brazil is the market), Chinese → ZH-HANS."""

from __future__ import annotations

import httpx

from chuhai.comms.providers.http import HttpProvider
from chuhai.comms.translator import ProviderError

TARGET_VARIANTS = {"en": "EN-US", "pt": "PT-BR", "zh": "ZH-HANS"}


def default_url(api_key: str) -> str:
    return ("https://api-free.deepl.com" if api_key.endswith(":fx")
            else "https://api.deepl.com")


class DeepL(HttpProvider):
    name = "deepl"

    def __init__(self, api_key: str, base_url: str | None, timeout_s: float,
                 transport: httpx.AsyncBaseTransport | None = None) -> None:
        super().__init__(base_url or default_url(api_key), api_key, timeout_s, transport)

    def unavailable(self, source: str, target: str) -> str | None:
        return None if self.api_key else "no API key configured"

    async def translate(self, text: str, source: str, target: str) -> str:
        payload = {"text": [text], "source_lang": source.upper(),
                   "target_lang": TARGET_VARIANTS.get(target, target.upper())}
        data = await self.post_json("/v2/translate", payload,
                                    {"Authorization": f"DeepL-Auth-Key {self.api_key}"})
        try:
            return str(data["translations"][0]["text"])
        except (KeyError, IndexError, TypeError) as exc:
            raise ProviderError("bad_reply", "DeepL reply has no translations") from exc
