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


# Response bodies. Field order follows the handlers', so answers keep their key order.

class FindingOut(BaseModel):
    """One rule that fired on a line, with its source and a rewrite."""

    rule: str
    category: str
    action: str = Field(description="block | require_disclosure | warn | suggest | allow")
    span: tuple[int, int] = Field(description="[start, end) character offsets in the line")
    match: str
    source: str
    sources: list[str]
    suggestion: str
    rationale: str
    by: str = Field("pattern", description="pattern (the rule's words) or meaning (close "
                    "to one of the rule's example sentences)")
    example: str | None = Field(None, description="By meaning: the rule's example the line "
                                "is nearest to")
    similarity: float | None = Field(None, description="By meaning: its cosine similarity")


class VerdictOut(BaseModel):
    action: str = Field(description="block | require_disclosure | warn | allow")
    findings: list[FindingOut]
    redacted: str = Field(description="The line as broadcast, personal data masked")
    market: str
    lang: str
    side: str


class ScreenOut(BaseModel):
    """``POST /api/screen``: the strongest action over the markets, and each verdict."""

    action: str
    lang: str
    markets: dict[str, VerdictOut] = Field(description="Market code → its verdict")


class ScriptActionsOut(BaseModel):
    """How many lines got each action."""

    block: int
    require_disclosure: int
    warn: int
    allow: int


class ScriptSummaryOut(BaseModel):
    lines: int
    actions: ScriptActionsOut


class ScriptVerdictOut(BaseModel):
    action: str
    redacted: str
    findings: list[FindingOut]


class ScriptLineOut(BaseModel):
    line: int = Field(description="Line number in the script, from 1")
    text: str
    lang: str
    action: str
    markets: dict[str, ScriptVerdictOut] = Field(description="Market code → its verdict")


class ScriptReportOut(BaseModel):
    """``POST /api/screen/script``: every checked line (blank and # lines are skipped)."""

    summary: ScriptSummaryOut
    lines: list[ScriptLineOut]


class TranslationOut(BaseModel):
    text: str
    source: str
    target: str
    provider: str = Field(description="identity | memory:phrasebook | memory:org | argos | "
                                      "deepl | …")
    machine: bool = Field(description="Machine-translated (shown as such to viewers)")
    cached: bool
    trace: list[str] = Field(description="What was tried before the one that answered")
    elapsed_ms: float


class CultureOut(BaseModel):
    code: str
    name: str
    scores: dict[str, int] = Field(description="Hofstede dimension → score; a dimension "
                                               "without published data is missing")


class CultureRuleOut(BaseModel):
    id: str
    dimension: str
    dimension_name: str
    when: str = Field(description="target_high | target_low | gap_up | gap_down")
    priority: int = Field(description="1 = say it first … 3 = nice to have")
    advice: str
    do: list[str]
    avoid: list[str]
    rationale: str
    sources: list[str]


class AdviceOut(BaseModel):
    """``GET /api/culture/advice``: how a seller culture should present to a market."""

    seller: CultureOut
    target: CultureOut
    gaps: dict[str, int] = Field(description="Dimension → target score minus seller score")
    advice: list[CultureRuleOut]
    data_source: list[str] | str | None
    data_published: str


class TermOut(BaseModel):
    id: str
    source: str
    source_lang: str | None
    target_lang: str | None
    target: str | None
    case_sensitive: bool
    kind: Literal["do_not_translate", "enforced"]


class MemoryOut(BaseModel):
    id: str
    source_lang: str
    target_lang: str
    source: str
    target: str
