"""Erasure in the live rooms' resume logs: only the person's lines and their translations.

The rule (privacy/erasure.py): in each room's resume log the person's chat lines are
scrubbed in place (author, name and text replaced, translations dropped) and so are the
translation events of those lines; everyone else's lines and translations stay as they
were, in every room. The count is the number of events changed.
"""

from __future__ import annotations

import orjson

from chuhai.privacy.erasure import _scrub_redis
from tests.privacy.test_erasure import FakeRedis


def ev(at: int, type_: str, **data: object) -> bytes:
    return orjson.dumps({"seq": at, "type": type_, "data": data})


async def test_only_the_persons_lines_and_their_translations_are_scrubbed() -> None:
    r1 = [ev(1, "chat", author_id="cus_jo", author="Jo", text="hey"),
          ev(2, "chat", author_id="cus_me", author="Lena", text="hi",
             translations={"en": "hi"}),
          ev(3, "chat.translation", seq=1, lang="de", text="hallo"),
          ev(4, "chat.translation", seq=2, lang="fr", text="salut"),
          ev(5, "chat", author_id="cus_jo", author="Jo", text="bye")]
    r2 = [ev(1, "chat", author_id="cus_me", author="Lena", text="again"),
          ev(2, "chat.translation", seq=1, lang="en", text="again")]
    redis = FakeRedis({"p:room:r1:log": r1, "p:room:r2:log": r2})

    assert await _scrub_redis(redis, "cus_me", "erased_x", prefix="p:") == 4

    after = {k: [orjson.loads(x) for x in v] for k, v in redis.data.items()}
    gone = {"author_id": "erased_x", "author": "deleted user", "text": "[message deleted]",
            "translations": {}}
    assert [e["data"] for e in after["p:room:r1:log"]] == [
        {"author_id": "cus_jo", "author": "Jo", "text": "hey"},
        gone,
        {"seq": 1, "lang": "de", "text": "hallo"},  # Jo's line's translation
        {"seq": 2, "lang": "fr", "text": "[message deleted]"},
        {"author_id": "cus_jo", "author": "Jo", "text": "bye"}]
    assert [e["data"] for e in after["p:room:r2:log"]] == [
        gone, {"seq": 1, "lang": "en", "text": "[message deleted]"}]
    assert [(e["seq"], e["type"]) for e in after["p:room:r1:log"]] == [
        (1, "chat"), (2, "chat"), (3, "chat.translation"), (4, "chat.translation"),
        (5, "chat")]
