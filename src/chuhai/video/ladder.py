"""The HLS ladder for a source: which renditions, at what size and bitrate.

Pure. Rungs are named by the short side (1080, 720, 540, 360) so a vertical 1080×1920 and a
landscape 1920×1080 source get the same ladder turned; only rungs at or below the source
are made (upscaling wastes bytes and shows nothing new), and a source smaller than the
lowest rung gets one rendition at its own size.
"""

from __future__ import annotations

from dataclasses import dataclass

# short side → (video kbit/s, H.264 level as written in CODECS)
RUNGS: tuple[tuple[int, int, str], ...] = (
    (1080, 5000, "4.0"),
    (720, 2800, "3.1"),
    (540, 1600, "3.1"),
    (360, 800, "3.0"),
)
AUDIO_KBPS = 96
LEVEL_HEX = {"3.0": "1e", "3.1": "1f", "4.0": "28"}


@dataclass(frozen=True)
class Rendition:
    name: str  # "720p": the short side
    width: int
    height: int
    video_kbps: int
    level: str

    @property
    def codecs(self) -> str:
        """RFC 6381 codecs of the variant: H.264 High profile at the rung's level, AAC-LC."""
        return f"avc1.6400{LEVEL_HEX[self.level]},mp4a.40.2"


def _even(n: float) -> int:
    return max(2, round(n / 2) * 2)


def plan(width: int, height: int) -> list[Rendition]:
    """Renditions for an upright source of ``width``×``height``, largest first."""
    if width <= 0 or height <= 0:
        raise ValueError("a picture has a positive size")
    short, long_ = min(width, height), max(width, height)
    out = []
    for side, kbps, level in RUNGS:
        if side > short:
            continue
        other = _even(long_ * side / short)
        w, h = (side, other) if width <= height else (other, side)
        out.append(Rendition(f"{side}p", w, h, kbps, level))
    if not out:
        side, kbps, level = RUNGS[-1]
        w, h = _even(width), _even(height)
        out.append(Rendition(f"{_even(short)}p", w, h, min(kbps, 600), level))
    return out
