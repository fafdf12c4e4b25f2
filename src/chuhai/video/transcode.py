"""A source clip into an HLS ladder, a poster and a thumbnail strip, with PyAV's FFmpeg.

One decode feeds every rendition: each picture is turned upright once (a phone's display
rotation), scaled per rung and encoded with libx264 (High profile, keyframes every segment
so every variant cuts at the same instants); the sound is resampled once and encoded to AAC
per variant. Everything is written into a fresh folder the caller owns — nothing there is
seen by a buyer until the caller moves it into storage and marks the video ready, so a
worker killed half-way leaves no half video behind.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

import av
import av.video.reformatter
import m3u8

from chuhai.video.ladder import AUDIO_KBPS, Rendition, plan
from chuhai.video.probe import Probe, VideoRejected

SEGMENT_S = 4
STRIP_FRAMES = 10
STRIP_HEIGHT = 160
POSTER_SHORT_SIDE = 720


@dataclass(frozen=True)
class Variant:
    name: str
    width: int
    height: int
    bandwidth: int  # peak bits per second over the segments (what BANDWIDTH means)
    average_bandwidth: int
    codecs: str
    playlist: str  # relative to the output folder


@dataclass(frozen=True)
class Output:
    variants: tuple[Variant, ...]
    master: str
    poster: str
    strip: str
    strip_frames: int
    duration_s: float


class _Rung:
    """One variant being written: its container, its streams."""

    def __init__(self, out_dir: Path, r: Rendition, fps: Fraction, time_base: Fraction,
                 with_audio: bool, threads: int) -> None:
        self.r = r
        folder = out_dir / r.name
        folder.mkdir(parents=True)
        self.playlist = f"{r.name}/index.m3u8"
        self.out = av.open(str(folder / "index.m3u8"), "w", format="hls", options={
            "hls_time": str(SEGMENT_S), "hls_playlist_type": "vod", "hls_list_size": "0",
            "hls_segment_filename": str(folder / "seg_%04d.ts")})
        gop = max(1, round(float(fps) * SEGMENT_S))
        self.v = self.out.add_stream("libx264", rate=fps, options={
            "preset": "veryfast", "profile": "high", "level": r.level, "g": str(gop),
            "keyint_min": str(gop), "sc_threshold": "0",
            "maxrate": f"{int(r.video_kbps * 1.5)}k", "bufsize": f"{r.video_kbps * 2}k"})
        self.v.width, self.v.height, self.v.pix_fmt = r.width, r.height, "yuv420p"
        self.v.bit_rate = r.video_kbps * 1000
        self.v.codec_context.time_base = time_base
        # frame threads: PyAV's default (slices) makes each encode() wait for its picture,
        # so decoding, scaling and the other rungs queue behind it (bench/video.py)
        self.v.codec_context.thread_type = "FRAME"
        if threads:
            self.v.codec_context.thread_count = threads
        self.scaler = av.video.reformatter.VideoReformatter()  # one per size, reused
        self.a = None
        if with_audio:
            self.a = self.out.add_stream("aac", rate=48000)
            self.a.bit_rate = AUDIO_KBPS * 1000
            self.a.layout = "stereo"

    def picture(self, frame: av.VideoFrame) -> None:
        scaled = self.scaler.reformat(frame, width=self.r.width, height=self.r.height,
                                      format="yuv420p")
        scaled.pts, scaled.time_base = frame.pts, frame.time_base
        for packet in self.v.encode(scaled):
            self.out.mux(packet)

    def sound(self, frame: av.AudioFrame) -> None:
        assert self.a is not None
        for packet in self.a.encode(frame):
            self.out.mux(packet)

    def close(self) -> None:
        for packet in self.v.encode(None):
            self.out.mux(packet)
        if self.a is not None:
            for packet in self.a.encode(None):
                self.out.mux(packet)
        self.out.close()


def _upright(stream: av.video.stream.VideoStream, rotation: int
             ) -> Callable[[av.VideoFrame], av.VideoFrame] | None:
    """A filter graph that turns pictures by the display rotation (None: already upright)."""
    if rotation == 0:
        return None
    graph = av.filter.Graph()
    nodes = [graph.add_buffer(template=stream)]
    turns: dict[int, list[tuple[str, str | None]]] = {
        90: [("transpose", "cclock")], 270: [("transpose", "clock")],
        180: [("hflip", None), ("vflip", None)]}
    steps = turns[rotation]
    for name, arg in steps:
        nodes.append(graph.add(name, arg) if arg else graph.add(name))
    nodes.append(graph.add("buffersink"))
    for a, b in itertools.pairwise(nodes):
        a.link_to(b)
    graph.configure()

    def turn(frame: av.VideoFrame) -> av.VideoFrame:
        graph.push(frame)
        out = graph.pull()
        assert isinstance(out, av.VideoFrame)
        return out
    return turn


def _jpeg(frame: av.VideoFrame, width: int, height: int) -> bytes:
    ctx: Any = av.CodecContext.create("mjpeg", "w")
    ctx.width, ctx.height, ctx.pix_fmt = width, height, "yuvj420p"
    ctx.time_base = Fraction(1, 25)
    ctx.options = {"q:v": "3"}
    pic = frame.reformat(width=width, height=height, format="yuvj420p")
    pic.pts = 0
    data = b"".join(bytes(p) for p in [*ctx.encode(pic), *ctx.encode(None)])
    return data


def _tile(frames: list[av.VideoFrame], width: int, height: int) -> av.VideoFrame:
    """The frames side by side in one picture (a player's scrubbing preview)."""
    sheet = av.VideoFrame(width * len(frames), height, "yuv420p")
    scaled = [f.reformat(width=width, height=height, format="yuv420p") for f in frames]
    for p, plane in enumerate(sheet.planes):
        div = 1 if p == 0 else 2
        tile_w, rows = width // div, height // div
        out = bytearray(plane.line_size * rows)
        for k, src in enumerate(scaled):
            sp = src.planes[p]
            data = bytes(sp)
            for y in range(rows):
                start = y * plane.line_size + k * tile_w
                out[start:start + tile_w] = data[y * sp.line_size:y * sp.line_size + tile_w]
        plane.update(bytes(out))
    return sheet


def _bandwidth(folder: Path, playlist: str) -> tuple[int, int]:
    """(peak, average) bits per second of a variant, from its segments' sizes."""
    pl = m3u8.load(str(folder / playlist))
    base = (folder / playlist).parent
    peak, bits, secs = 0.0, 0, 0.0
    for seg in pl.segments:
        size = (base / seg.uri).stat().st_size * 8
        dur = max(float(seg.duration or 0), 0.001)
        peak = max(peak, size / dur)
        bits += size
        secs += dur
    return math.ceil(peak), math.ceil(bits / secs) if secs else 0


def _master(out_dir: Path, variants: list[Variant]) -> str:
    master = m3u8.M3U8()
    master.version = 3
    for v in variants:
        master.add_playlist(m3u8.Playlist(
            v.playlist, stream_info={"bandwidth": v.bandwidth,
                                     "average_bandwidth": v.average_bandwidth,
                                     "resolution": f"{v.width}x{v.height}",
                                     "codecs": v.codecs},
            media=m3u8.MediaList(), base_uri=None))
    (out_dir / "master.m3u8").write_text(master.dumps(), encoding="utf-8")
    return "master.m3u8"


def transcode(src: Path, out_dir: Path, info: Probe, *,
              progress: Callable[[float], None] = lambda _: None,
              threads: int = 0, renditions: list[Rendition] | None = None) -> Output:
    """Write the ladder, master playlist, poster and strip of ``src`` into ``out_dir``."""
    ladder = renditions or plan(info.width, info.height)
    strip_at = [info.duration_s * (k + 0.5) / STRIP_FRAMES for k in range(STRIP_FRAMES)]
    poster_at = min(1.0, info.duration_s / 3)
    poster: av.VideoFrame | None = None
    strip: list[av.VideoFrame] = []
    with av.open(str(src)) as inp:
        vin = inp.streams.video[0]
        vin.thread_type = "AUTO"
        ain = inp.streams.audio[0] if inp.streams.audio else None
        fps = Fraction(vin.average_rate or vin.guessed_rate or 30).limit_denominator(1001)
        tb = vin.time_base or Fraction(1, 90000)
        rungs = [_Rung(out_dir, r, fps, tb, ain is not None, threads) for r in ladder]
        turn = _upright(vin, info.rotation)
        resampler = av.AudioResampler(format="fltp", layout="stereo", rate=48000)
        last = last_t = -1.0
        try:
            for packet in inp.demux(*(s for s in (vin, ain) if s is not None)):
                for frame in packet.decode():
                    if isinstance(frame, av.AudioFrame):
                        for rf in resampler.resample(frame):
                            for rung in rungs:
                                rung.sound(rf)
                        continue
                    assert isinstance(frame, av.VideoFrame)
                    up = turn(frame) if turn else frame
                    for rung in rungs:
                        rung.picture(up)
                    t = float(frame.time) if frame.time is not None else 0.0
                    last_t = max(last_t, t)
                    if poster is None and t >= poster_at:
                        poster = up.reformat(format="yuv420p")
                    if len(strip) < STRIP_FRAMES and t >= strip_at[len(strip)]:
                        strip.append(up.reformat(format="yuv420p"))
                    if t - last >= 0.5:
                        last = t
                        progress(min(t / info.duration_s, 1.0))
            for rf in resampler.resample(None):
                for rung in rungs:
                    rung.sound(rf)
        finally:
            for rung in rungs:
                rung.close()
    if poster is None or last_t < info.duration_s * 0.8 - 1.0:
        raise VideoRejected("video_corrupt", f"the file ends early: pictures stop at "
                            f"{max(last_t, 0):.1f} s of {info.duration_s:.1f} s (an "
                            f"interrupted upload?); send it again")
    top = ladder[0]
    scale = min(1.0, POSTER_SHORT_SIDE / min(top.width, top.height))
    pw, ph = max(2, int(top.width * scale) // 2 * 2), max(2, int(top.height * scale) // 2 * 2)
    (out_dir / "poster.jpg").write_bytes(_jpeg(poster, pw, ph))
    sh = STRIP_HEIGHT
    sw = max(2, int(sh * info.width / info.height) // 2 * 2)
    tiles = strip or [poster]
    (out_dir / "strip.jpg").write_bytes(_jpeg(_tile(tiles, sw, sh), sw * len(tiles), sh))
    variants = []
    for rung in rungs:
        peak, avg = _bandwidth(out_dir, rung.playlist)
        variants.append(Variant(rung.r.name, rung.r.width, rung.r.height, peak, avg,
                                rung.r.codecs, rung.playlist))
    progress(1.0)
    return Output(tuple(variants), _master(out_dir, variants), "poster.jpg", "strip.jpg",
                  len(tiles), info.duration_s)
