"""A simulated live stream for the demo and for testing players: a moving test pattern with
a clock and a tone, encoded to HLS by the ffmpeg binary that ships in the imageio-ffmpeg
wheel (no system ffmpeg), written into the media folder the app serves."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

FONT_CANDIDATES = (
    "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf",
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/truetype/liberation/LiberationSans-Bold.ttf",
)


def ffmpeg_exe() -> str:
    import imageio_ffmpeg

    return str(imageio_ffmpeg.get_ffmpeg_exe())


def stream_dir(media_dir: Path, room_id: str) -> Path:
    return media_dir / "live" / room_id


def playback_url(room_id: str) -> str:
    return f"/media/live/{room_id}/index.m3u8"


def build_command(exe: str, out_dir: Path, *, seconds: float | None = None,
                  label: str = "chuhai live", font: str | None = None) -> list[str]:
    """The ffmpeg command line (pure, so it can be checked without running ffmpeg)."""
    safe = "".join(ch for ch in label if ch.isalnum() or ch in " -_.")[:40]
    text = f"{safe}  %{{localtime\\:%T}}"
    draw = (f"drawtext=text='{text}':fontsize=28:fontcolor=white:x=20:y=20:box=1:"
            f"boxcolor=black@0.55:boxborderw=8")
    if font:
        draw += f":fontfile={font}"
    cmd = [exe, "-hide_banner", "-loglevel", "error", "-re",
           "-f", "lavfi", "-i", "testsrc2=size=640x360:rate=25",
           "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=44100"]
    if seconds:
        cmd += ["-t", str(seconds)]
    cmd += ["-vf", draw, "-c:v", "libx264", "-preset", "veryfast", "-tune", "zerolatency",
            "-g", "50", "-pix_fmt", "yuv420p", "-c:a", "aac", "-b:a", "64k",
            "-f", "hls", "-hls_time", "2", "-hls_list_size", "0",
            "-hls_playlist_type", "event", "-hls_flags", "program_date_time",
            "-hls_segment_filename", str(out_dir / "seg_%05d.ts"), str(out_dir / "index.m3u8")]
    return cmd


def find_font() -> str | None:
    return next((f for f in FONT_CANDIDATES if Path(f).exists()), None)


def start(media_dir: Path, room_id: str, *, seconds: float | None = None,
          label: str = "chuhai live") -> subprocess.Popen[bytes]:
    """Start publishing; the playlist appears after the first segment (~2 s)."""
    out = stream_dir(media_dir, room_id)
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    cmd = build_command(ffmpeg_exe(), out, seconds=seconds, label=label, font=find_font())
    # The command is built from fixed arguments and our own paths; no shell is involved.
    return subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stderr=subprocess.PIPE)  # noqa: S603
