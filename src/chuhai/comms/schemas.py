"""Request bodies of the communication API (lengths bounded: text is untrusted)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

_LANG = r"^[a-z]{2,3}(-[A-Za-z]{2,4})?$"


def Lang(default: Any = ...) -> Any:
    return Field(default, min_length=2, max_length=8, pattern=_LANG)


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class ScreenIn(_In):
    text: str = Field(min_length=1, max_length=2000)
    markets: list[Annotated[str, Field(pattern=r"^[A-Z]{2}$")]] = Field(min_length=1,
                                                                        max_length=30)
    lang: str | None = Lang(None)
    side: Literal["host", "viewer"] = "host"
    product_id: str | None = Field(None, max_length=40,
                                   description="Check a named former price against this "
                                               "product's 30-day price history.")


class ScriptIn(_In):
    text: str = Field(min_length=1, max_length=200_000)
    markets: list[Annotated[str, Field(pattern=r"^[A-Z]{2}$")]] = Field(min_length=1,
                                                                        max_length=30)
    lang: str | None = Lang(None)
    side: Literal["host", "viewer"] = "host"


class TranslateIn(_In):
    text: str = Field(min_length=1, max_length=5000)
    to: str = Lang()
    source: str | None = Field(None, alias="from", min_length=2, max_length=8,
                               pattern=_LANG)

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True,
                              populate_by_name=True)


class TermIn(_In):
    source: str = Field(min_length=1, max_length=120)
    source_lang: str | None = Lang(None)
    target_lang: str | None = Lang(None)
    target: str | None = Field(None, min_length=1, max_length=200)
    case_sensitive: bool = False


class MemoryIn(_In):
    source_lang: str = Lang()
    target_lang: str = Lang()
    source: str = Field(min_length=1, max_length=2000)
    target: str = Field(min_length=1, max_length=2000)
