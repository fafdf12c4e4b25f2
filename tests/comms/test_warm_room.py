"""A room's screening automata are ready before its first line: its markets' languages
first, then every language with a pack, so a line in any of them never waits."""

from __future__ import annotations

import threading
from unittest import mock

from chuhai.comms import service
from chuhai.comms.screening.engine import Screener
from chuhai.comms.service import Comms, default_screener
from chuhai.core.config import Settings


async def test_warming_a_room_compiles_every_language_with_a_pack_off_the_loop(tmp_path):
    screener = Screener(default_screener().packs)  # fresh: nothing compiled yet
    loop_thread = threading.get_ident()
    compiled_on: set[int] = set()
    real = screener._compile

    def spy(rules):  # type: ignore[no-untyped-def]
        compiled_on.add(threading.get_ident())
        return real(rules)

    screener._compile = spy  # type: ignore[method-assign]
    with mock.patch.object(service, "default_screener", return_value=screener):
        await Comms(Settings(data_dir=tmp_path)).warm_room(["US", "DE"])
    for market in ("US", "DE", "CN"):  # CN: the usual seller's home market
        for lang in [*screener.languages, "nl"]:  # nl has no pack: English's rules
            for side in ("host", "viewer"):
                assert screener.has_scope(market, lang, side), (market, lang, side)
    assert not screener.has_scope("JP", "ja", "viewer")  # not one of the room's markets
    assert compiled_on and loop_thread not in compiled_on
