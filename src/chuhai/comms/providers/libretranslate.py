"""LibreTranslate (self-hosted or libretranslate.com): POST /translate
{q, source, target, format, api_key} → {"translatedText": …}."""

from __future__ import annotations

from chuhai.comms.providers.http import HttpProvider
from chuhai.comms.translator import ProviderError


class LibreTranslate(HttpProvider):
    name = "libretranslate"

    def unavailable(self, source: str, target: str) -> str | None:
        return None if self.base_url else "no URL configured"

    async def translate(self, text: str, source: str, target: str) -> str:
        payload = {"q": text, "source": source, "target": target, "format": "text"}
        if self.api_key:
            payload["api_key"] = self.api_key
        data = await self.post_json("/translate", payload)
        out = data.get("translatedText") if isinstance(data, dict) else None
        if not isinstance(out, str):
            raise ProviderError("bad_reply", "LibreTranslate reply has no translatedText")
        return out
