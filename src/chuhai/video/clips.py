"""A short video cut from a live room's replay: the segment in which the host presented a
product (its chapter on the pin timeline), with that product tagged.

Chapter times count from the room's start; the recording has its own start (a stream may
begin before the room goes live, or after). An HLS recording that carries
``EXT-X-PROGRAM-DATE-TIME`` says when its first segment began, and that is what maps one
onto the other; without it the room's start is assumed and the clip says so. Only a
recording in this server's media folder is cut; a remote one is refused with the reason
(fetching a whole stream from elsewhere is not done here).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from fractions import Fraction
from pathlib import Path

import av
import m3u8

from chuhai.video.probe import VideoRejected

MAX_CLIP_S = 60.0
MIN_CLIP_S = 3.0


class ClipRefused(ValueError):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class Plan:
    start_s: float  # in the recording
    end_s: float
    offset_s: float  # recording time = room time + offset
    aligned: bool  # False: the recording's own start was not known


def local_recording(media_dir: Path, url: str | None) -> Path:
    if not url:
        raise ClipRefused("no_recording", "the room has no recording")
    if not url.startswith("/media/"):
        raise ClipRefused("recording_remote", f"the recording is at {url[:120]}, not on "
                          "this server; clips are cut from recordings in its media folder")
    path = (media_dir / url.removeprefix("/media/")).resolve()
    if media_dir.resolve() not in path.parents or not path.exists():
        raise ClipRefused("no_recording", "the room's recording is not on this server")
    return path


def recording_start(playlist: Path) -> datetime | None:
    """When the recording's first segment began, if the playlist says."""
    try:
        pl = m3u8.load(str(playlist))
    except Exception:
        return None
    first = pl.segments[0] if pl.segments else None
    return first.current_program_date_time if first is not None else None


def plan(chapters: list[tuple[float, str | None]], product_id: str, room_start: datetime,
         rec_start: datetime | None, rec_duration_s: float) -> Plan:
    """The product's first chapter, from its pin to the next pin (at most a minute), in the
    recording's own time."""
    at = next((i for i, (_, p) in enumerate(chapters) if p == product_id), None)
    if at is None:
        raise ClipRefused("product_not_presented",
                          "the product was never pinned in this room, so no chapter shows it")
    t0 = chapters[at][0]
    t1 = chapters[at + 1][0] if at + 1 < len(chapters) else t0 + MAX_CLIP_S
    offset = (room_start - rec_start).total_seconds() if rec_start else 0.0
    start, end = t0 + offset, min(t1 + offset, t0 + offset + MAX_CLIP_S, rec_duration_s)
    if start < 0 or start >= rec_duration_s or end - start < MIN_CLIP_S:
        raise ClipRefused("clip_out_of_range",
                          f"the chapter ({start:.1f}–{end:.1f} s of the recording) is outside "
                          f"the recording (0–{rec_duration_s:.1f} s) or shorter than "
                          f"{MIN_CLIP_S:.0f} s")
    return Plan(round(start, 3), round(end, 3), offset, rec_start is not None)


def duration(path: Path) -> float:
    try:
        with av.open(str(path)) as c:
            return (c.duration or 0) / av.time_base
    except av.error.FFmpegError as exc:
        raise ClipRefused("recording_unreadable", f"the recording cannot be read: {exc}") from None


def cut(src: Path, dst: Path, start_s: float, end_s: float) -> None:
    """Re-encode ``start_s``–``end_s`` of ``src`` into an MP4 (cuts land on any frame)."""
    with av.open(str(src)) as inp, av.open(str(dst), "w", format="mp4") as out:
        vin = inp.streams.video[0]
        ain = inp.streams.audio[0] if inp.streams.audio else None
        rate = Fraction(vin.average_rate or 25).limit_denominator(1001)
        v = out.add_stream("libx264", rate=rate, options={"preset": "veryfast", "crf": "20"})
        v.width, v.height, v.pix_fmt = vin.codec_context.width, vin.codec_context.height, "yuv420p"
        a = None
        if ain is not None:
            a = out.add_stream("aac", rate=48000)
            a.layout = "stereo"
        resampler = av.AudioResampler(format="fltp", layout="stereo", rate=48000)
        inp.seek(int(max(start_s - 1, 0) * av.time_base))
        base_v = None
        samples = 0
        wrote = False
        for packet in inp.demux(*(s for s in (vin, ain) if s is not None)):
            if packet.pts is not None and packet.time_base is not None and \
                    float(packet.pts * packet.time_base) > end_s + 1:
                break  # past the chapter: the rest of the recording is not read
            for frame in packet.decode():
                if not isinstance(frame, (av.VideoFrame, av.AudioFrame)):
                    continue
                t = float(frame.time) if frame.time is not None else None
                if t is None or t < start_s or t >= end_s:
                    continue
                if isinstance(frame, av.VideoFrame):
                    pic = frame.reformat(format="yuv420p")
                    base_v = t if base_v is None else base_v
                    pic.pts = round((t - base_v) * float(rate))
                    pic.time_base = Fraction(1) / rate
                    for p in v.encode(pic):
                        out.mux(p)
                    wrote = True
                elif a is not None and isinstance(frame, av.AudioFrame):
                    frame.pts = None
                    for rf in resampler.resample(frame):
                        rf.pts, rf.time_base = samples, Fraction(1, 48000)
                        samples += rf.samples
                        for p in a.encode(rf):
                            out.mux(p)
        for p in v.encode(None):
            out.mux(p)
        if a is not None:
            for p in a.encode(None):
                out.mux(p)
    if not wrote:
        raise VideoRejected("video_corrupt", "no picture in the chapter's time")
