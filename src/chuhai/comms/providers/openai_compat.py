"""Any OpenAI-compatible chat-completions endpoint (a self-hosted vLLM, llama.cpp or Ollama
server, or a cloud API): POST {base}/chat/completions. The system prompt pins the task:
translate only, keep ``[[T0]]`` placeholders, no commentary — and the chain still checks the
placeholders, because a model can ignore instructions."""

from __future__ import annotations

import httpx
from babel import Locale

from chuhai.comms.providers.http import HttpProvider
from chuhai.comms.translator import ProviderError


def _language_name(code: str) -> str:
    try:
        return Locale.parse(code).get_display_name("en") or code
    except Exception:
        return code


def system_prompt(source: str, target: str) -> str:
    return (f"You translate live-stream shopping chat from {_language_name(source)} to "
            f"{_language_name(target)}. Reply with the translation only, no quotes, no "
            "notes. Keep every token like [[T0]] exactly as written. Keep numbers, prices, "
            "sizes and emoji. Keep the tone (casual chat stays casual).")


class OpenAICompatible(HttpProvider):
    name = "llm"

    def __init__(self, base_url: str, api_key: str | None, model: str, timeout_s: float,
                 transport: httpx.AsyncBaseTransport | None = None) -> None:
        super().__init__(base_url, api_key, timeout_s, transport)
        self.model = model

    def unavailable(self, source: str, target: str) -> str | None:
        return None if self.base_url and self.model else "no URL or model configured"

    async def translate(self, text: str, source: str, target: str) -> str:
        payload = {"model": self.model, "temperature": 0,
                   "messages": [{"role": "system", "content": system_prompt(source, target)},
                                {"role": "user", "content": text}]}
        headers = {"Authorization": f"Bearer {self.api_key}"} if self.api_key else {}
        data = await self.post_json("/chat/completions", payload, headers)
        try:
            content = data["choices"][0]["message"]["content"]
        except (KeyError, IndexError, TypeError) as exc:
            raise ProviderError("bad_reply", "reply has no choices[0].message.content") from exc
        if not isinstance(content, str):
            raise ProviderError("bad_reply", "message content is not text")
        return content.strip().strip('"“”')
