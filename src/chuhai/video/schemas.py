"""What the video API answers (``service.view`` and the buyer's feed), typed for the
OpenAPI document."""

from __future__ import annotations

from pydantic import BaseModel, Field

from chuhai.shop.schemas import ProductOut


class VideoTextOut(BaseModel):
    title: str
    description: str


class RenditionOut(BaseModel):
    name: str = Field(description="The rung, by its short side: 1080p, 720p, 540p, 360p")
    width: int
    height: int
    bandwidth: int = Field(description="Peak bits per second (the master's BANDWIDTH)")
    url: str = Field(description="The variant playlist")


class StripOut(BaseModel):
    url: str = Field(description="A JPEG of `frames` thumbnails side by side")
    frames: int


class CaptionOut(BaseModel):
    lang: str
    source: str = Field(description="upload | asr | translation | edited (a seller's "
                        "correction)")
    url: str
    cues: int
    from_lang: str | None = Field(None, description="A translation: the captions it was "
                                  "made from")
    stale: bool = Field(False, description="A translation whose source was corrected since "
                        "and could not be translated again yet: translate it again")


class CueOut(BaseModel):
    index: int
    start_s: float
    end_s: float
    text: str


class CuesOut(BaseModel):
    lang: str
    source: str
    cues: list[CueOut]


class TagOut(BaseModel):
    id: str
    product_id: str
    start_s: float
    end_s: float


class VideoFindingOut(BaseModel):
    """Why a market holds the video: what was said where, the rule, a suggested rewrite."""

    where: str = Field(description="texts.<lang>.title | texts.<lang>.description | "
                                   "captions.<lang>")
    cue: int | None = Field(description="The caption cue's index (captions only)")
    start_s: float | None
    end_s: float | None
    lang: str
    rule: str
    category: str
    action: str = Field(description="warn | require_disclosure | block")
    match: str
    suggestion: str | None
    source: str


class VideoMarketOut(BaseModel):
    market: str
    state: str = Field(description="ready (chosen, not shown) | published | held (what it "
                                   "says does not pass this market's screening)")
    findings: list[VideoFindingOut]


class VideoErrorOut(BaseModel):
    code: str | None
    message: str | None


class VideoOut(BaseModel):
    id: str
    status: str = Field(description="processing | ready | failed")
    step: str = Field(description="queued | transcoding | storing | ready | failed")
    progress: float = Field(description="0 to 1 through processing")
    duration_s: float
    width: int
    height: int
    language: str
    texts: dict[str, VideoTextOut] = Field(description="Title and description per language")
    error: VideoErrorOut | None
    renditions: list[RenditionOut]
    master_url: str | None
    poster_url: str | None
    strip: StripOut | None
    captions: list[CaptionOut]
    tags: list[TagOut]
    markets: list[VideoMarketOut]
    likes: int
    views: int
    created_at: str


class VideoListOut(BaseModel):
    items: list[VideoOut]


class FeedCaptionOut(BaseModel):
    lang: str
    url: str
    source: str = Field(description="upload | asr (speech recognition) | translation | "
                        "edited")


class FeedTagOut(BaseModel):
    start_s: float
    end_s: float
    product: ProductOut = Field(description="Priced for the feed's market, delivered")


class FeedVideoOut(BaseModel):
    id: str
    title: str
    description: str
    language: str
    duration_s: float
    width: int
    height: int
    master_url: str
    poster_url: str
    captions: list[FeedCaptionOut]
    original_language: str = Field(description="The language spoken in the video")
    tags: list[FeedTagOut]
    likes: int
    url: str


class FeedOut(BaseModel):
    market: str
    items: list[FeedVideoOut]


class CountOut(BaseModel):
    likes: int | None = None
    views: int | None = None
