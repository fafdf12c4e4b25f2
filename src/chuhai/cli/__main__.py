"""``python -m chuhai.cli``: the same commands as the ``chuhai`` script."""

from chuhai.cli import app

app()
