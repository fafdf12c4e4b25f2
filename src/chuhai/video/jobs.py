"""Video processing as durable jobs (huey; docs/decisions/0012-video-jobs.md).

One machine: a SQLite queue in the data directory, worked by ``chuhai serve`` itself (a
thread per ``CHUHAI_VIDEO_WORKERS``) or by ``chuhai worker``. Several machines:
``CHUHAI_JOBS_URL=redis://…`` and ``chuhai worker`` wherever there are cores. The queue
only says "look at video X"; the truth is the video row and its lease (processing.claim), so a
job lost with a killed worker is found again by ``requeue_stale`` (at every worker start and
every minute), and a job run twice finds the video done and returns.
"""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

from huey import Huey, RedisHuey, SqliteHuey, crontab

from chuhai.core.config import Settings
from chuhai.core.db import Stores
from chuhai.video import processing

log = logging.getLogger("chuhai.video.jobs")


def make_huey(settings: Settings) -> Huey:
    if settings.jobs_url.startswith(("redis://", "rediss://", "unix://")):
        return RedisHuey("chuhai", url=settings.jobs_url, results=False)
    if settings.jobs_url:
        raise ValueError(f"CHUHAI_JOBS_URL {settings.jobs_url!r}: expected redis://… or empty")
    path = Path(settings.data_dir) / "jobs.db"
    path.parent.mkdir(parents=True, exist_ok=True)
    return SqliteHuey("chuhai", filename=str(path), results=False)


async def _run_process(settings: Settings, video_id: str) -> str:
    stores = Stores(settings)
    try:
        return await processing.process(stores, video_id)
    finally:
        await stores.dispose()


async def _stale(settings: Settings) -> list[str]:
    stores = Stores(settings)
    try:
        async with stores.session() as s:
            return await processing.stale(s)
    finally:
        await stores.dispose()


class Jobs:
    """The queue and its tasks, bound to one process's settings."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.huey = make_huey(settings)
        self.process = self.huey.task(retries=2, retry_delay=15, name="video.process")(
            self._process)
        self.requeue = self.huey.periodic_task(crontab(minute="*"), name="video.requeue")(
            self.requeue_stale)
        self.train_feed = self.huey.periodic_task(crontab(minute="17"), name="feed.train")(
            self._train_feed)
        self.rollup = self.huey.periodic_task(crontab(minute="5"), name="analytics.rollup")(
            self._rollup)

    def _rollup(self) -> int:
        """The seller funnel's last two hours, hourly (the one that just ended, and the one
        before for late events and payments); idempotent, so overlapping is harmless."""
        from datetime import timedelta

        from chuhai.analytics import rollup
        from chuhai.core.clock import utcnow
        from chuhai.core.db import Stores

        async def run() -> int:
            stores = Stores(self.settings)
            try:
                done = await rollup.rollup(stores, utcnow() - timedelta(hours=2))
                return int(done["rows"])
            finally:
                await stores.dispose()

        return asyncio.run(run())

    def _train_feed(self) -> str:
        """The feed's model, hourly: a new version from the last hour's engagement too."""
        from chuhai.core.db import Stores
        from chuhai.feed import training

        async def run() -> str:
            stores = Stores(self.settings)
            try:
                return (await training.train(stores, progress=log.info)).version
            finally:
                await stores.dispose()

        return asyncio.run(run())

    def _process(self, video_id: str) -> str:
        return asyncio.run(_run_process(self.settings, video_id))

    def enqueue(self, video_id: str) -> None:
        self.process(video_id)

    def requeue_stale(self) -> int:
        """Queue again every video that is processing with nobody on it."""
        ids = asyncio.run(_stale(self.settings))
        for vid in ids:
            log.info("video %s was left processing; queued again", vid)
            self.process(vid)
        return len(ids)

    def work_one(self) -> bool:
        """Run the next queued job in this thread (False: the queue was empty)."""
        task = self.huey.dequeue()
        if task is None:
            return False
        self.huey.execute(task)
        return True
