"""deploy/nginx-rtmp.conf works: an RTMP push comes out as HLS under /hls/<key>/index.m3u8.

Runs where nginx and its RTMP module are installed (Debian: ``apt-get install nginx
libnginx-mod-rtmp``; ``.ci/run`` installs both). Elsewhere it skips — chuhai does not depend
on nginx — except under ``CI=true``, where a missing nginx is a failure, not a skip. The
config under test is the shipped file with temporary paths and free ports swapped in; the
stream is a 6-second test pattern pushed by the ffmpeg of imageio-ffmpeg.
"""

from __future__ import annotations

import re
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.conftest import IN_CI

ROOT = Path(__file__).resolve().parents[2]
CONFIG = ROOT / "deploy" / "nginx-rtmp.conf"
MODULE_CANDIDATES = (
    "/usr/lib/nginx/modules/ngx_rtmp_module.so",  # Debian, Ubuntu
    "/usr/lib64/nginx/modules/ngx_rtmp_module.so",  # Fedora, RHEL
    "/usr/share/nginx/modules/ngx_rtmp_module.so",
)
STREAM = "teststream"
SECONDS = 6


def _missing(why: str) -> None:
    if IN_CI:
        pytest.fail(f"{why}: .ci/run installs it, so under CI=true this test must run")
    pytest.skip(why)


def _nginx_and_module() -> tuple[str, str]:
    nginx = shutil.which("nginx") or next(
        (p for p in ("/usr/sbin/nginx", "/usr/local/sbin/nginx") if Path(p).exists()), None)
    if nginx is None:
        _missing("nginx is not installed (apt-get install nginx libnginx-mod-rtmp)")
    module = next((m for m in MODULE_CANDIDATES if Path(m).exists()), None)
    if module is None:
        _missing("the nginx RTMP module is not installed (apt-get install libnginx-mod-rtmp;"
                 f" looked for {', '.join(MODULE_CANDIDATES)})")
    assert nginx is not None and module is not None
    return nginx, module


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _sub(text: str, pattern: str, repl: str) -> str:
    """Replace, insisting that the shipped config still has what we replace."""
    out, n = re.subn(pattern, repl, text, flags=re.MULTILINE)
    assert n, f"deploy/nginx-rtmp.conf no longer matches {pattern!r}; update this test"
    return out


def runnable_config(tmp: Path, module: str, rtmp_port: int, http_port: int) -> str:
    """The shipped config, made runnable by an unprivileged foreground nginx in ``tmp``."""
    text = CONFIG.read_text()
    text = _sub(text, r"^user .*;$", "")
    text = _sub(text, r"^pid .*;$", f"pid {tmp}/nginx.pid;")
    text = _sub(text, r"^error_log .*;$", f"error_log {tmp}/error.log info;")
    text = _sub(text, r"^include /etc/nginx/modules-enabled/\*\.conf;$",
                f"load_module {module};")
    text = _sub(text, r"^(\s*)listen 1935;", rf"\g<1>listen 127.0.0.1:{rtmp_port};")
    text = _sub(text, r"^(\s*)listen 80;", rf"\g<1>listen 127.0.0.1:{http_port};")
    text = _sub(text, r"^\s*listen \[::\]:80;$", "")
    text = _sub(text, r"^(\s*)access_log .*;$", rf"\g<1>access_log {tmp}/access.log;")
    text = _sub(text, r"/var/lib/chuhai", str(tmp / "var"))
    if not Path("/etc/nginx/mime.types").exists():
        text = _sub(text, r"^\s*include /etc/nginx/mime\.types;$", "")
    temp_paths = "".join(f"    {kind}_temp_path {tmp}/{kind};\n" for kind in
                         ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
    text = _sub(text, r"^http \{$", "http {\n" + temp_paths)
    return f"daemon off;\nmaster_process off;\n{text}"


def _wait_for_port(port: int, proc: subprocess.Popen[bytes], log: Path, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"nginx exited with {proc.returncode}: "
                        f"{log.read_text() if log.exists() else ''}")
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    pytest.fail(f"nginx did not listen on {port}: {log.read_text() if log.exists() else ''}")


def _stop(proc: subprocess.Popen[bytes] | None) -> None:
    if proc is not None and proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)


@pytest.fixture
def nginx(tmp_path: Path) -> Iterator[tuple[int, int, Path]]:
    """A foreground nginx running the shipped config: (rtmp port, http port, hls dir)."""
    exe, module = _nginx_and_module()
    (tmp_path / "var" / "hls").mkdir(parents=True)
    rtmp_port, http_port = _free_port(), _free_port()
    conf = tmp_path / "nginx.conf"
    conf.write_text(runnable_config(tmp_path, module, rtmp_port, http_port))
    log = tmp_path / "error.log"
    check = subprocess.run([exe, "-t", "-p", str(tmp_path), "-e", str(log), "-c", str(conf)],
                           capture_output=True, text=True, timeout=30)
    assert check.returncode == 0, f"nginx -t refused the config:\n{check.stderr}"
    with (tmp_path / "stderr.log").open("wb") as stderr:
        proc = subprocess.Popen([exe, "-p", str(tmp_path), "-e", str(log), "-c", str(conf)],
                                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                stderr=stderr)
    try:
        _wait_for_port(rtmp_port, proc, log, 10)
        _wait_for_port(http_port, proc, log, 10)
        yield rtmp_port, http_port, tmp_path / "var" / "hls"
    finally:
        _stop(proc)


def _segments(playlist: str) -> list[str]:
    return [line for line in playlist.splitlines() if line and not line.startswith("#")]


def _media_sequence(playlist: str) -> int:
    found = re.search(r"#EXT-X-MEDIA-SEQUENCE:(\d+)", playlist)
    return int(found.group(1)) if found else 0


def test_an_rtmp_push_becomes_hls_served_with_cors_and_no_cache(nginx):
    imageio_ffmpeg = pytest.importorskip("imageio_ffmpeg")
    rtmp_port, http_port, hls_dir = nginx
    cmd = [imageio_ffmpeg.get_ffmpeg_exe(), "-hide_banner", "-loglevel", "error", "-re",
           "-f", "lavfi", "-i", "testsrc2=size=640x360:rate=25",
           "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=44100",
           "-t", str(SECONDS),
           "-c:v", "libx264", "-preset", "veryfast", "-tune", "zerolatency", "-g", "25",
           "-pix_fmt", "yuv420p", "-c:a", "aac", "-b:a", "64k",
           "-f", "flv", f"rtmp://127.0.0.1:{rtmp_port}/live/{STREAM}"]
    ffmpeg = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                              stderr=subprocess.PIPE)
    url = f"http://127.0.0.1:{http_port}/hls/{STREAM}/index.m3u8"
    seen: list[tuple[int, list[str]]] = []  # (media sequence, segments) of each new version
    first_response: httpx.Response | None = None
    try:
        with httpx.Client(timeout=5) as http:
            deadline = time.monotonic() + SECONDS + 20
            while time.monotonic() < deadline:
                resp = http.get(url)
                if resp.status_code == 200 and _segments(resp.text):
                    first_response = first_response or resp
                    version = (_media_sequence(resp.text), _segments(resp.text))
                    if not seen or version != seen[-1]:
                        seen.append(version)
                    if len(seen) >= 2 and ffmpeg.poll() is not None:
                        break
                time.sleep(0.2)
            assert first_response is not None, f"no playlist at {url} (ffmpeg rc "\
                f"{ffmpeg.poll()}: {_stderr(ffmpeg)})"
            # Nested HLS: one directory per stream key, the playlist named index.m3u8.
            assert (hls_dir / STREAM / "index.m3u8").is_file()
            # The playlist is live: it gained segments while the stream ran.
            assert len(seen) >= 2, f"the playlist never changed: {seen}"
            first_seq, first_segs = seen[0]
            last_seq, last_segs = seen[-1]
            assert last_seq + len(last_segs) > first_seq + len(first_segs), seen
            # Served for a cross-origin player, and never cached stale.
            headers = first_response.headers
            assert headers["content-type"].startswith("application/vnd.apple.mpegurl")
            assert headers["cache-control"] == "no-cache"
            assert headers["access-control-allow-origin"] == "*"
            segment = http.get(f"http://127.0.0.1:{http_port}/hls/{STREAM}/{last_segs[-1]}")
            assert segment.status_code == 200
            assert segment.headers["content-type"] == "video/mp2t"
            assert segment.headers["access-control-allow-origin"] == "*"
            assert segment.content[:1] == b"\x47"  # an MPEG-TS packet's sync byte
            preflight = http.options(url, headers={"Origin": "https://shop.example",
                                                   "Access-Control-Request-Method": "GET"})
            assert preflight.status_code == 204
            assert preflight.headers["access-control-allow-origin"] == "*"
            # Only /hls/ is served.
            assert http.get(f"http://127.0.0.1:{http_port}/").status_code == 404
        assert ffmpeg.wait(timeout=30) == 0, _stderr(ffmpeg)
    finally:
        _stop(ffmpeg)


def _stderr(proc: subprocess.Popen[bytes]) -> str:
    if proc.poll() is None or proc.stderr is None:
        return ""
    return proc.stderr.read().decode(errors="replace")[-800:]
