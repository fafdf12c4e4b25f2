"""Clips made here with the ffmpeg binary of the imageio-ffmpeg wheel (no downloads): a
short vertical clip with sound, a phone clip lying on its side, and the bad inputs a seller
might send."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from chuhai.live.simulate import ffmpeg_exe


def make_clip(path: Path, *, size: str = "360x640", seconds: float = 2.0, rate: int = 25,
              audio: bool = True, video: bool = True, extra: tuple[str, ...] = ()) -> Path:
    cmd = [ffmpeg_exe(), "-hide_banner", "-loglevel", "error", "-y"]
    if video:
        cmd += ["-f", "lavfi", "-i", f"testsrc2=size={size}:rate={rate}"]
    if audio:
        cmd += ["-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000"]
    cmd += ["-t", str(seconds)]
    if video:
        cmd += ["-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p"]
    if audio:
        cmd += ["-c:a", "aac"]
    cmd += [*extra, str(path)]
    subprocess.run(cmd, check=True, timeout=120)
    return path


@pytest.fixture(scope="session")
def clips(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    d = tmp_path_factory.mktemp("clips")
    out = {
        "vertical": make_clip(d / "vertical.mp4", size="540x960", seconds=3.0),
        "small": make_clip(d / "small.mp4", size="360x640", seconds=2.0),
        "landscape": make_clip(d / "landscape.mp4", size="640x360", seconds=2.0),
        "silent": make_clip(d / "silent.mp4", size="360x640", seconds=2.0, audio=False),
        "audio_only": make_clip(d / "audio.m4a", video=False, seconds=2.0),
        "blink": make_clip(d / "blink.mp4", size="360x640", seconds=0.3),
        "four_hours": make_clip(d / "long.mp4", size="16x16", rate=1, seconds=4 * 3600,
                                audio=False),
    }
    # a phone held upright records landscape pictures and a display rotation
    rotated = d / "rotated.mp4"
    subprocess.run([ffmpeg_exe(), "-hide_banner", "-loglevel", "error", "-y",
                    "-display_rotation", "90", "-i", str(out["landscape"]), "-c", "copy",
                    str(rotated)], check=True, timeout=60)
    out["rotated"] = rotated
    text = d / "notes.mp4"
    text.write_text("this is a shopping list, not a video\n" * 20)
    out["text"] = text
    data = out["vertical"].read_bytes()
    truncated = d / "truncated.mp4"
    truncated.write_bytes(data[: len(data) // 3])
    out["truncated"] = truncated
    empty = d / "empty.mp4"
    empty.write_bytes(b"")
    out["empty"] = empty
    return out
