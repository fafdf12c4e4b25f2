"""Schemathesis fuzzes every operation of the OpenAPI document against a real node serving a
copy of the demo data, as a staff member (the demo owner's API token) and as a signed-in
buyer (session cookie and CSRF header): no answer may be a 5xx, and every answer must match
the schema the document declares for it.

At least 25 generated cases per operation and identity; deterministic (derandomized), so a
red run reproduces. Rate limits are raised for the run (the fuzzer would otherwise spend
its cases on 429s). No operation is excluded.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error, response_schema_conformance

from chuhai.accounts.service import Accounts
from chuhai.core.config import Settings
from chuhai.core.db import Stores, unit_of_work
from chuhai.core.migrate import upgrade_all
from chuhai.core.secrets_store import signing_key
from chuhai.demo import DEMO_PASSWORD, ORG_SLUG, run_seed
from tests.live.harness import ThreadServer

pytestmark = pytest.mark.fuzz
EXAMPLES = 25
# Generate and shrink; no example database (CI starts clean), no explicit examples phase.
FUZZ_PHASES = [Phase.generate, Phase.shrink]
OWNER = "owner@sonicwave.example"
BUYER = "lena@kaeufer.example"


class RaisedLimits:
    """The node's own limiter with every limit a thousand times higher."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner

    async def hit(self, key: str, limit: int, window_s: int) -> Any:
        return await self.inner.hit(key, limit * 1000, window_s)

    def __getattr__(self, name: str) -> Any:  # count, reset, claim: the node's own
        return getattr(self.inner, name)


async def _demo_identities(settings: Settings) -> dict[str, dict[str, str]]:
    stores = Stores(settings)
    try:
        await upgrade_all(stores)
        await run_seed(settings)
        async with unit_of_work(stores) as uow:
            acc = Accounts(uow, signing_key(settings))
            owner = await acc.staff_of(await acc.org_by_slug(ORG_SLUG), OWNER)
            _, token = await acc.create_token(owner, "schemathesis")
            buyer = await acc.authenticate_customer(BUYER, DEMO_PASSWORD)
            raw, csrf = await acc.open_session(buyer, timedelta(hours=2))
    finally:
        await stores.dispose()
    return {"staff": {"Authorization": f"Bearer {token}"},
            "buyer": {"Cookie": f"chuhai_session={raw}", "x-csrf-token": csrf}}


@pytest.fixture(scope="module")
def demo_node(tmp_path_factory: pytest.TempPathFactory
              ) -> Iterator[tuple[ThreadServer, dict[str, dict[str, str]]]]:
    data_dir: Path = tmp_path_factory.mktemp("fuzz-demo")
    node_settings = Settings(data_dir=data_dir, secret_key="fuzz-key", live_tick_ms=50)
    identities = asyncio.run(_demo_identities(node_settings))
    with ThreadServer(node_settings) as server:
        server.app.state.limiter = RaisedLimits(server.app.state.limiter)
        yield server, identities


@pytest.fixture(scope="module")
def api_schema(demo_node: tuple[ThreadServer, dict[str, dict[str, str]]]) -> Any:
    server, _ = demo_node
    return schemathesis.openapi.from_url(f"{server.base}/openapi.json")


def test_no_server_error_and_every_answer_matches_its_schema(
        api_schema: Any, demo_node: tuple[ThreadServer, dict[str, dict[str, str]]]) -> None:
    """Every operation, valid and invalid inputs, each case sent as both identities."""
    server, identities = demo_node
    failures: list[str] = []
    sent: dict[str, int] = {}
    statuses: Counter[int] = Counter()
    operations = [result.ok() for result in api_schema.get_all_operations()]
    for operation in operations:
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):

            @given(case=operation.as_strategy(generation_mode=mode))
            @settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
                      suppress_health_check=list(HealthCheck), phases=FUZZ_PHASES)
            def fuzz(case: schemathesis.Case) -> None:
                for who in ("staff", "buyer"):  # each generated case is sent as both
                    headers = {**(case.headers or {}), **identities[who]}
                    sent[operation.label] = sent.get(operation.label, 0) + 1
                    response = case.call(base_url=server.base, headers=headers)
                    statuses[response.status_code // 100] += 1
                    try:
                        case.validate_response(
                            response, checks=[not_a_server_error, response_schema_conformance])
                    except Exception as exc:
                        exc.add_note(f"sent as the demo {who}")
                        raise

            try:
                fuzz()
            except Unsatisfiable:
                # Nothing of this operation can be made invalid (no parameters, or only
                # free-text path ids): its negative mode has no case to send.
                assert mode is GenerationMode.NEGATIVE, operation.label
            except Exception as exc:
                failures.append(f"{operation.label} ({mode.value}): {exc}"[:2000])
    print(f"schemathesis: {len(sent)} operations, {sum(sent.values())} calls "
          f"(min {min(sent.values())}, median {sorted(sent.values())[len(sent) // 2]} per "
          f"operation); answers by class: {dict(sorted(statuses.items()))}")
    assert set(sent) == {op.label for op in operations}  # none left out
    assert not failures, "\n\n".join(failures)
