"""What an uploaded file is, read with PyAV before any work is spent on it.

A seller's upload is refused here — with a stable code and a reason a person can act on —
when it is not a video, has no picture, is empty, corrupt, too long or too large; what
passes carries the numbers the ladder and the player need (duration, upright size,
rotation, audio).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import av

MAX_DURATION_S = 180.0  # short video: three minutes
MIN_DURATION_S = 1.0
MAX_BYTES = 2 * 1024 * 1024 * 1024  # 2 GiB
MAX_SIDE = 4096


class VideoRejected(ValueError):
    """The file cannot become a shoppable video; ``code`` is stable, the message says why."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class Probe:
    duration_s: float
    width: int  # as displayed (after rotation)
    height: int
    rotation: int  # degrees counter-clockwise the pictures must turn to be upright: 0/90/180/270
    fps: float
    video_codec: str
    has_audio: bool
    size_bytes: int

    @property
    def vertical(self) -> bool:
        return self.height > self.width


def _rotation(container: av.container.InputContainer, stream: av.video.stream.VideoStream
              ) -> int:
    """The display rotation, read from the first decoded picture (PyAV reads the display
    matrix there), rounded to a quarter turn."""
    for frame in container.decode(stream):
        return round(float(getattr(frame, "rotation", 0) or 0) / 90) * 90 % 360
    raise VideoRejected("video_corrupt", "no picture could be decoded")


def probe(path: Path, *, max_duration_s: float = MAX_DURATION_S,
          max_bytes: int = MAX_BYTES) -> Probe:
    size = path.stat().st_size
    if size == 0:
        raise VideoRejected("video_empty", "the file is empty")
    if size > max_bytes:
        raise VideoRejected("video_too_large",
                            f"the file is {size:,} bytes; the limit is {max_bytes:,}")
    try:
        container = av.open(str(path), metadata_errors="ignore")
    except av.error.InvalidDataError:
        if _looks_like_media(path):
            raise VideoRejected("video_corrupt", "the file is damaged or incomplete (an "
                                "interrupted upload?); send it again") from None
        raise VideoRejected("not_a_video", "this is not a video file FFmpeg can read") from None
    except av.error.FFmpegError as exc:
        raise VideoRejected("video_corrupt", f"the file cannot be read: {exc}") from None
    with container:
        if not container.streams.video:
            kind = "audio only" if container.streams.audio else "no video stream"
            raise VideoRejected("video_no_picture", f"the file has no picture ({kind})")
        stream = container.streams.video[0]
        ctx = stream.codec_context
        if not ctx.width or not ctx.height:
            raise VideoRejected("video_corrupt", "the video stream has no picture size")
        duration = _duration(container, stream)
        if duration < MIN_DURATION_S:
            raise VideoRejected("video_too_short",
                                f"the video lasts {duration:.2f} s; at least "
                                f"{MIN_DURATION_S:.0f} s is needed")
        if duration > max_duration_s:
            raise VideoRejected("video_too_long",
                                f"the video lasts {duration:.0f} s; short videos may last "
                                f"at most {max_duration_s:.0f} s")
        if max(ctx.width, ctx.height) > MAX_SIDE:
            raise VideoRejected("video_too_large",
                                f"the picture is {ctx.width}×{ctx.height}; at most "
                                f"{MAX_SIDE} pixels a side")
        try:
            rotation = _rotation(container, stream)
        except av.error.FFmpegError as exc:
            raise VideoRejected("video_corrupt", f"the video cannot be decoded: {exc}") from None
        rate = stream.average_rate or stream.guessed_rate
        fps = float(rate) if rate else 30.0
        w, h = (ctx.height, ctx.width) if rotation in (90, 270) else (ctx.width, ctx.height)
        return Probe(duration, w, h, rotation, fps, ctx.name, bool(container.streams.audio),
                     size)


def _duration(container: av.container.InputContainer,
              stream: av.video.stream.VideoStream) -> float:
    if stream.duration is not None and stream.time_base is not None:
        return float(stream.duration * stream.time_base)
    if container.duration is not None:
        return container.duration / av.time_base
    return 0.0


def _looks_like_media(path: Path) -> bool:
    """The first bytes of an MP4/MOV (``ftyp``), Matroska/WebM, AVI or MPEG-TS file."""
    with path.open("rb") as f:
        head = f.read(12)
    return (head[4:8] in (b"ftyp", b"moov", b"mdat", b"wide", b"free")
            or head.startswith((b"\x1aE\xdf\xa3", b"RIFF")) or head[:1] == b"G")
