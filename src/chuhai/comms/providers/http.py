"""Shared HTTP plumbing for the hosted providers: one pooled client each, and one mapping
from HTTP failures to stable provider error codes."""

from __future__ import annotations

from typing import Any

import httpx

from chuhai.comms.translator import ProviderError

_STATUS_CODES = {400: "bad_request", 401: "unauthorized", 403: "unauthorized",
                 404: "not_found", 413: "too_long", 429: "rate_limited", 456: "quota_exceeded"}


class HttpProvider:
    name = "http"

    def __init__(self, base_url: str, api_key: str | None, timeout_s: float,
                 transport: httpx.AsyncBaseTransport | None = None) -> None:
        self.base_url = base_url.rstrip("/")
        self.api_key = api_key
        self.timeout_s = timeout_s
        self._transport = transport
        self._client: httpx.AsyncClient | None = None

    @property
    def client(self) -> httpx.AsyncClient:
        if self._client is None:
            self._client = httpx.AsyncClient(timeout=self.timeout_s, transport=self._transport)
        return self._client

    async def post_json(self, path: str, payload: dict[str, Any],
                        headers: dict[str, str] | None = None) -> Any:
        try:
            resp = await self.client.post(self.base_url + path, json=payload,
                                          headers=headers or {})
        except httpx.TimeoutException as exc:
            raise ProviderError("timeout", f"{self.name} did not answer in time") from exc
        except httpx.HTTPError as exc:
            raise ProviderError("unreachable", f"{self.name}: {exc}") from exc
        if resp.status_code >= 400:
            code = _STATUS_CODES.get(resp.status_code, "upstream_error")
            raise ProviderError(code, f"{self.name} answered HTTP {resp.status_code}: "
                                      f"{resp.text[:200]}")
        try:
            return resp.json()
        except ValueError as exc:
            raise ProviderError("bad_reply", f"{self.name} answered non-JSON") from exc

    async def aclose(self) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None
