"""A local stand-in for a LibreTranslate server, for benchmarks that need translation to
cost what it costs in production: a network round trip and a wait for the model.

It speaks the API ``chuhai.comms.providers.libretranslate`` calls — ``POST /translate``
with ``{q, source, target, format, api_key?}``, answering ``{"translatedText": …}`` — and
answers each request after a delay drawn uniformly between ``--min-ms`` and ``--max-ms``
(default 30–80 ms, a small self-hosted model on a nearby machine), without blocking other
requests. The "translation" is the text tagged with the target language, so a benchmark
that counts delivered lines still finds its markers in the translated text.
``GET /stats`` answers how many translations it served, per target language, so a benchmark
can prove the translator was really called.

The test suite has its own fakes of the provider APIs (tests/comms/test_providers.py), but
those run inside the test process, check requests strictly, know only a few languages and
answer at once; a benchmark needs a separate process, every language and a realistic wait.

    python bench/_translate_server.py PORT [--min-ms 30] [--max-ms 80]
"""

from __future__ import annotations

import argparse
import asyncio
import random
from collections import Counter

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route


def make_app(min_ms: float, max_ms: float, seed: int = 7) -> Starlette:
    served: Counter[str] = Counter()
    rng = random.Random(seed)

    async def translate(request: Request) -> Response:
        try:
            body = await request.json()
        except ValueError:
            return JSONResponse({"error": "Invalid request"}, 400)
        if not isinstance(body, dict) or not all(body.get(k) for k in ("q", "source",
                                                                       "target")):
            return JSONResponse({"error": "Invalid request: missing q, source or target"},
                                400)
        await asyncio.sleep(rng.uniform(min_ms, max_ms) / 1000)
        served[body["target"]] += 1
        return JSONResponse({"translatedText": f"[{body['target']}] {body['q']}"})

    async def stats(_: Request) -> Response:
        return JSONResponse({"served": sum(served.values()), "by_target": dict(served),
                             "delay_ms": [min_ms, max_ms]})

    return Starlette(routes=[Route("/translate", translate, methods=["POST"]),
                             Route("/stats", stats)])


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("port", type=int)
    p.add_argument("--min-ms", type=float, default=30)
    p.add_argument("--max-ms", type=float, default=80)
    a = p.parse_args()
    uvicorn.run(make_app(a.min_ms, a.max_ms), host="127.0.0.1", port=a.port,
                log_level="warning", access_log=False)


if __name__ == "__main__":
    main()
