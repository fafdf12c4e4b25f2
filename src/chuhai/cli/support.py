"""What every command needs: a one-line failure, and stores that are closed afterwards."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import NoReturn, TypeVar

import typer

from chuhai.core.config import Settings
from chuhai.core.db import Stores

T = TypeVar("T")


def fail(message: str) -> NoReturn:
    typer.secho(message, fg=typer.colors.RED, err=True)
    raise typer.Exit(1)


def with_stores(work: Callable[[Stores], Awaitable[T]], settings: Settings | None = None) -> T:
    """Run ``work`` against freshly opened stores and dispose of them, whatever happens."""

    async def run() -> T:
        stores = Stores(settings or Settings())
        try:
            return await work(stores)
        finally:
            await stores.dispose()

    return asyncio.run(run())
