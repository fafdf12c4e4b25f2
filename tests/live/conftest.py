from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.live.harness import Seed, ThreadServer, seed, settings_for


@pytest.fixture(scope="module")
def live_env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[ThreadServer, Seed]]:
    settings = settings_for(tmp_path_factory.mktemp("live"), live_tick_ms=50)
    data = seed(settings)
    with ThreadServer(settings) as server:
        yield server, data
