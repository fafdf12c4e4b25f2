"""Request bodies of the privacy API."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from chuhai.core.text import SafeModel


class ConsentIn(SafeModel):
    market: str | None = Field(None, pattern=r"^[A-Za-z]{2}$",
                               description="The market browsed (guests); customers use "
                               "their home country.")
    choices: dict[str, bool] = Field(max_length=10,
                                     description="purpose → granted (true) or refused")
    source: Literal["banner", "settings", "api"] = "api"
    age: int | None = Field(None, ge=1, le=129, description="The age the person declares, "
                            "where an age gate applies.")


class RequestIn(SafeModel):
    kind: Literal["access", "erasure", "rectification", "opt_out"]
    password: str | None = Field(None, max_length=200,
                                 description="Re-entering the password verifies identity.")
    changes: dict[str, str] | None = Field(
        None, max_length=4, description="For rectification: field → corrected value "
        "(display_name, preferred_language).")
