"""Untrusted text at the edges: no NUL or control characters get past request parsing.

PostgreSQL refuses NUL bytes in text (a 500 if it reaches the driver) and control characters
have no business in a name or a title; they are refused (NUL) or dropped (the rest) before
validation so length limits apply to what will be stored.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, model_validator

_CONTROL = re.compile(r"[\x01-\x08\x0b\x0c\x0e-\x1f\x7f]")


def has_nul(value: Any) -> bool:
    """True if any string anywhere in ``value`` (nested lists/dicts too) holds a NUL."""
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(has_nul(k) or has_nul(v) for k, v in value.items())
    if isinstance(value, list | tuple):
        return any(has_nul(v) for v in value)
    return False


def has_control(value: Any) -> bool:
    """True if any string anywhere in ``value`` (keys too) holds a NUL or one of the control
    characters ``strip_control`` drops; tab, line feed and carriage return are whitespace."""
    if isinstance(value, str):
        return "\x00" in value or _CONTROL.search(value) is not None
    if isinstance(value, dict):
        return any(has_control(k) or has_control(v) for k, v in value.items())
    if isinstance(value, list | tuple):
        return any(has_control(v) for v in value)
    return False


def ascii_digits(value: Any) -> Any:
    """Digits of any script as ASCII ("٤٢٤٢", "４２４２", "๔๒๔๒" → "4242"), and full-width
    spaces and hyphens as ASCII ones: what a buyer's own keyboard types into a card number,
    a postal code or a phone number must mean the same number."""
    if not isinstance(value, str) or value.isascii():
        return value
    out = []
    for ch in value:
        d = unicodedata.decimal(ch, None)
        out.append(str(d) if d is not None else _WIDE.get(ch, ch))
    return "".join(out)


_WIDE = {"\u3000": " ", "\uff0d": "-", "\u2212": "-", "\u30fc": "-", "\u2010": "-",
         "\u2011": "-", "\u2012": "-", "\u2013": "-"}


def strip_control(value: Any) -> Any:
    return _CONTROL.sub("", value) if isinstance(value, str) else value


def _non_empty(value: str) -> str:
    value = value.strip()
    if not value:
        raise ValueError("must not be empty")
    return value


class SafeModel(BaseModel):
    """Base of every request body: refuses NUL characters anywhere in the input."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    @model_validator(mode="before")
    @classmethod
    def _no_nul(cls, data: Any) -> Any:
        if has_nul(data):
            raise ValueError("text must not contain NUL characters")
        return data


CleanText = Annotated[str, BeforeValidator(strip_control)]
NonEmptyText = Annotated[str, BeforeValidator(strip_control), AfterValidator(_non_empty)]
