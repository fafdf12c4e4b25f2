"""Short video: transcoding speed, resumable upload throughput, and the buyer's time to first
frame. Three measurements, each one JSON line with a baseline measured in the same run
(``--only`` picks some; ``python bench/video.py --help`` for the sizes).

1. ``transcode``: a 1080×1920, 30 fps clip with sound (``--seconds``, default 30; made here
   with the imageio-ffmpeg binary: testsrc2 + a sine, x264 veryfast CRF 20, AAC stereo
   48 kHz) through ``chuhai.video.transcode.transcode`` into the full ladder (1080p 5000k,
   720p 2800k, 540p 1600k, 360p 800k, as ``ladder.plan`` gives them), plus poster and strip.
   Baseline: the ``ffmpeg`` command line of the same imageio-ffmpeg binary doing the same
   ladder in one command — one input, ``split`` into four branches scaled with the same
   scaler (bilinear, what PyAV's ``reformat`` uses; the 1080p branch is not scaled, as
   ``reformat`` returns a same-size frame untouched), the same x264 settings (veryfast, High,
   level per rung, keyframe every 4 s and no scene cut, maxrate 1.5×, bufsize 2×, yuv420p),
   AAC 96k stereo 48 kHz and an HLS muxer (4 s, vod) per output. Neither sets a thread
   count: x264 picks its own (auto) in both; what each used is read back from the SEI x264
   writes into the first segment. Figure: seconds of video per second of wall time (best of
   ``--repeat``, runs alternating); target chuhai ≥ 0.9× ffmpeg. What the baseline does not
   do: the poster, the strip and the master playlist (two small JPEGs and a text file, not
   timed apart).
2. ``upload``: ``--upload-mb`` MB (default 200) of random bytes through tus — ``POST
   /api/videos/uploads`` then ``PATCH`` chunks of ``--chunk-mib`` MiB (default 16) — to a
   real ``chuhai serve`` (subprocess, fresh SQLite data dir after ``chuhai migrate`` and
   ``chuhai seed-demo``, an API token from ``chuhai tokens create``), against one streaming
   ``PUT`` of the same bytes to a bare Starlette app on the same uvicorn stack (uvloop,
   httptools) in another subprocess, which writes the body to a file and fsyncs it once
   (chuhai fsyncs once per chunk: that is what makes a chunk's offset safe to resume from).
   Same client (httpx, one keep-alive connection per server, Content-Length set, the body
   written in 1 MiB pieces on both sides). The uploaded file is checked byte-for-byte
   (sha256). Figure: MB/s (10^6 bytes), best of ``--upload-repeat`` (default 3); target
   ≥ 0.5× the bare PUT.
3. ``ttff``: Chromium (Playwright, /usr/bin/chromium, headless) opens the buyer's player page
   ``/shop/sonicwave/videos?market=DE`` of the same server, where one video (a 1080×1920
   clip like the one above, ``--ttff-seconds`` long, default 10) was ingested with
   ``chuhai video ingest --org sonicwave --markets DE --publish --wait`` (the demo's own
   clip, seeded by ``seed-demo``, is the page's second). Measured inside the page with
   ``performance.now()`` (0 = navigation start), a fresh browser context (empty cache) per
   load: the poster's bytes loaded (Resource Timing), the poster painted (its
   largest-contentful-paint entry), first paint, the <video>'s first ``playing``, its first
   ``timeupdate`` with ``currentTime > 0``, and the first frame handed to the compositor
   (``requestVideoFrameCallback``). Baseline, same run: a bare page from the bare Starlette
   app, ``<video muted autoplay playsinline poster=… src=master.m3u8>`` over the same media
   files, nothing else (90 % of the viewport's height: Chromium reports no
   largest-contentful-paint for an image covering the whole viewport). This Chromium plays
   HLS natively (``canPlayType`` says "maybe"), so both pages play through the browser's own
   HLS, not hls.js. Median of ``--ttff-runs`` loads each, alternating. Figure: ms to the
   first ``timeupdate`` (lower is better; ratio > 1 means chuhai's page is slower).

The machine's load matters to every figure here: the load average at the start and the CPU
seconds each side used are in params.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

from _common import report  # noqa: E402

CHROMIUM = os.environ.get("CHUHAI_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run",
                 "--autoplay-policy=no-user-gesture-required"]
ORG, OWNER = "sonicwave", "owner@sonicwave.example"
CLI = [sys.executable, "-m", "chuhai.cli"]
MB = 1_000_000


# --------------------------------------------------------------------------- helpers


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def proc_cpu_s(pid: int) -> float:
    """User + system CPU seconds of a running process (all its threads)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def children_cpu_s() -> float:
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def self_cpu_s() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def machine() -> dict[str, Any]:
    model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {"cpus": os.cpu_count(), "cpu_model": model,
            "loadavg_1m_at_start": round(os.getloadavg()[0], 2)}


def ffmpeg() -> str:
    from chuhai.live.simulate import ffmpeg_exe

    return ffmpeg_exe()


def make_clip(path: Path, seconds: float) -> Path:
    """1080×1920, 30 fps, x264 (veryfast, CRF 20, High) with stereo AAC at 48 kHz."""
    subprocess.run([
        ffmpeg(), "-hide_banner", "-loglevel", "error", "-y",
        "-f", "lavfi", "-i", "testsrc2=size=1080x1920:rate=30",
        "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000",
        "-t", str(seconds), "-c:v", "libx264", "-preset", "veryfast", "-crf", "20",
        "-pix_fmt", "yuv420p", "-c:a", "aac", "-b:a", "128k", "-ac", "2",
        "-movflags", "+faststart", str(path)], check=True, timeout=900)
    return path


def x264_threads(folder: Path) -> str:
    """The thread settings x264 wrote into its SEI in the variant's first segment."""
    seg = min(folder.glob("seg_*.ts"))
    text = seg.read_bytes()[:2_000_000].decode("latin-1")
    m = re.search(r"threads=(\d+) lookahead_threads=(\d+) sliced_threads=(\d+)", text)
    return f"{m.group(1)}/{m.group(2)}/{m.group(3)}" if m else "?"


# --------------------------------------------------------------------------- 1. transcode


def ffmpeg_ladder_cmd(src: Path, out: Path, ladder: list[Any], fps: float,
                      width: int, height: int) -> list[str]:
    from chuhai.video.ladder import AUDIO_KBPS
    from chuhai.video.transcode import SEGMENT_S

    gop = max(1, round(fps * SEGMENT_S))
    n = len(ladder)
    graph = [f"[0:v]split={n}" + "".join(f"[s{i}]" for i in range(n))]
    for i, r in enumerate(ladder):
        if (r.width, r.height) == (width, height):
            graph.append(f"[s{i}]null[o{i}]")  # reformat() leaves a same-size frame alone
        else:
            graph.append(f"[s{i}]scale={r.width}:{r.height}:flags=bilinear[o{i}]")
    cmd = [ffmpeg(), "-hide_banner", "-loglevel", "error", "-y", "-i", str(src),
           "-filter_complex", ";".join(graph)]
    for i, r in enumerate(ladder):
        folder = out / r.name
        folder.mkdir(parents=True)
        cmd += ["-map", f"[o{i}]", "-map", "0:a",
                "-c:v", "libx264", "-preset", "veryfast", "-profile:v", "high",
                "-level:v", r.level, "-g", str(gop), "-keyint_min", str(gop),
                "-sc_threshold", "0", "-b:v", f"{r.video_kbps}k",
                "-maxrate", f"{int(r.video_kbps * 1.5)}k", "-bufsize", f"{r.video_kbps * 2}k",
                "-pix_fmt", "yuv420p",
                "-c:a", "aac", "-b:a", f"{AUDIO_KBPS}k", "-ac", "2", "-ar", "48000",
                "-f", "hls", "-hls_time", str(SEGMENT_S), "-hls_playlist_type", "vod",
                "-hls_list_size", "0", "-hls_segment_filename", str(folder / "seg_%04d.ts"),
                str(folder / "index.m3u8")]
    return cmd


def ladder_summary(out: Path, ladder: list[Any]) -> dict[str, Any]:
    """Per rung: segments and megabytes; and the x264 threads of the top rung."""
    sizes = {}
    for r in ladder:
        segs = sorted((out / r.name).glob("seg_*.ts"))
        assert (out / r.name / "index.m3u8").is_file() and segs, f"{r.name}: no output"
        sizes[r.name] = [len(segs), round(sum(s.stat().st_size for s in segs) / MB, 2)]
    return {"rungs": sizes, "x264_threads": x264_threads(out / ladder[0].name)}


def bench_transcode(work: Path, repeat: int, src: Path) -> None:
    from chuhai.video.ladder import plan
    from chuhai.video.probe import probe
    from chuhai.video.transcode import transcode

    info = probe(src)
    ladder = plan(info.width, info.height)
    duration = info.duration_s
    chuhai_s: list[float] = []
    ffmpeg_s: list[float] = []
    chuhai_cpu: list[float] = []
    ffmpeg_cpu: list[float] = []
    seen: dict[str, Any] = {}
    for k in range(repeat):
        out = work / f"chuhai-{k}"
        out.mkdir()
        cpu0, t0 = self_cpu_s(), time.perf_counter()
        result = transcode(src, out, info)
        chuhai_s.append(time.perf_counter() - t0)
        chuhai_cpu.append(self_cpu_s() - cpu0)
        assert len(result.variants) == len(ladder)
        seen["chuhai"] = ladder_summary(out, ladder)
        shutil.rmtree(out)

        out = work / f"ffmpeg-{k}"
        out.mkdir()
        cmd = ffmpeg_ladder_cmd(src, out, ladder, info.fps, info.width, info.height)
        cpu0, t0 = children_cpu_s(), time.perf_counter()
        subprocess.run(cmd, check=True, timeout=1800)
        ffmpeg_s.append(time.perf_counter() - t0)
        ffmpeg_cpu.append(children_cpu_s() - cpu0)
        seen["ffmpeg"] = ladder_summary(out, ladder)
        shutil.rmtree(out)
        print(f"# transcode run {k + 1}: chuhai {chuhai_s[-1]:.1f} s "
              f"({chuhai_cpu[-1]:.1f} s CPU), ffmpeg {ffmpeg_s[-1]:.1f} s "
              f"({ffmpeg_cpu[-1]:.1f} s CPU)", file=sys.stderr, flush=True)
    c_rtf, f_rtf = duration / min(chuhai_s), duration / min(ffmpeg_s)
    report("video_transcode_rtf", c_rtf, "s of video per s of wall time", f_rtf, {
        "seconds": round(duration, 2), "source": f"{info.width}x{info.height} "
        f"{info.fps:g} fps {info.video_codec}, audio {info.has_audio}",
        "ladder": [f"{r.name} {r.width}x{r.height} {r.video_kbps}k" for r in ladder],
        "chuhai_rtf": round(c_rtf, 3), "ffmpeg_rtf": round(f_rtf, 3),
        "chuhai_wall_s": [round(x, 2) for x in chuhai_s],
        "ffmpeg_wall_s": [round(x, 2) for x in ffmpeg_s],
        "chuhai_cpu_s": [round(x, 1) for x in chuhai_cpu],
        "ffmpeg_cpu_s": [round(x, 1) for x in ffmpeg_cpu],
        "outputs": seen, "target_ratio": 0.9, **machine(),
        "baseline": "ffmpeg CLI (imageio-ffmpeg binary), one command: split to the same "
                    "4 rungs, same x264/AAC/HLS settings; no poster/strip"})


# --------------------------------------------------------------------------- servers


def bare_app(media_dir: Path, upload_dir: Path) -> Any:
    """The baseline server: a streaming PUT to a file, the media folder, a bare player page."""
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import HTMLResponse, Response
    from starlette.routing import Mount, Route
    from starlette.staticfiles import StaticFiles

    async def put(request: Request) -> Response:
        path = upload_dir / Path(request.path_params["name"]).name
        written = 0
        with path.open("wb") as f:
            async for chunk in request.stream():
                f.write(chunk)
                written += len(chunk)
            f.flush()
            os.fsync(f.fileno())
        return Response(status_code=204, headers={"X-Written": str(written)})

    async def page(request: Request) -> HTMLResponse:
        master, poster = request.query_params["m"], request.query_params["p"]
        return HTMLResponse(
            "<!doctype html><html><head><meta charset=utf-8>"
            "<meta name=viewport content='width=device-width,initial-scale=1'>"
            "<title>bare player</title><style>body{margin:0}video{display:block;"
            "width:100vw;height:90vh;object-fit:cover;background:#000}</style></head><body>"
            f"<video muted playsinline autoplay loop poster='{poster}' src='{master}'>"
            "</video></body></html>")

    upload_dir.mkdir(parents=True, exist_ok=True)
    media_dir.mkdir(parents=True, exist_ok=True)
    return Starlette(routes=[Route("/put/{name}", put, methods=["PUT"]),
                             Route("/player", page),
                             Mount("/media", StaticFiles(directory=media_dir))])


def serve_bare(port: int, media_dir: str, upload_dir: str) -> None:
    import uvicorn

    uvicorn.run(bare_app(Path(media_dir), Path(upload_dir)), host="127.0.0.1", port=port,
                log_level="warning")


def wait_up(url: str, proc: subprocess.Popen[bytes], what: str) -> None:
    import httpx

    for _ in range(600):
        if proc.poll() is not None:
            raise RuntimeError(f"{what} exited with {proc.returncode}")
        try:
            if httpx.get(url, timeout=1).status_code < 500:
                return
        except httpx.HTTPError:
            time.sleep(0.1)
    raise RuntimeError(f"{what} did not start")


class Servers:
    """``chuhai serve`` on a fresh, migrated, seeded data dir, and the bare app."""

    def __init__(self, work: Path) -> None:
        self.data = work / "var"
        self.env = {**os.environ, "CHUHAI_DATA_DIR": str(self.data),
                    "CHUHAI_SECRET_KEY": "bench", "CHUHAI_BACKGROUND": "false",
                    "CHUHAI_VIDEO_WORKERS": "0"}
        self.env.pop("CHUHAI_DATABASE_URL", None)
        self.logs = work / "logs"
        self.logs.mkdir()
        t0 = time.perf_counter()
        for step in (["migrate"], ["seed-demo"]):
            self.cli(*step)
        out = self.cli("tokens", "create", "--org", ORG, "--email", OWNER, "--name", "bench",
                       "--json")
        self.token = json.loads(out)["token"]
        self.setup_s = time.perf_counter() - t0
        self.port, self.bare_port = free_port(), free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.bare = f"http://127.0.0.1:{self.bare_port}"
        self.uploads_bare = work / "bare-uploads"
        self.proc = subprocess.Popen([*CLI, "serve", "--port", str(self.port)], env=self.env,
                                     stdout=(self.logs / "serve.log").open("wb"),
                                     stderr=subprocess.STDOUT)
        self.bare_proc = subprocess.Popen(
            [sys.executable, __file__, "--serve-bare", str(self.bare_port),
             str(self.data / "media"), str(self.uploads_bare)],
            stdout=(self.logs / "bare.log").open("wb"), stderr=subprocess.STDOUT)
        try:
            wait_up(f"{self.base}/healthz", self.proc, "chuhai serve")
            wait_up(f"{self.bare}/player?m=x&p=y", self.bare_proc, "bare app")
        except Exception:
            self.close()
            raise

    def cli(self, *args: str) -> str:
        r = subprocess.run([*CLI, *args], env=self.env, capture_output=True, text=True,
                           timeout=1800, cwd=ROOT)
        if r.returncode:
            raise RuntimeError(f"chuhai {' '.join(args)}: {r.stderr[-2000:]}")
        return r.stdout

    def close(self) -> None:
        for p in (self.proc, self.bare_proc):
            if p.poll() is None:
                p.terminate()
                try:
                    p.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    p.kill()


# --------------------------------------------------------------------------- 2. upload


PIECE = 1024 * 1024


def pieces(data: memoryview) -> Any:
    """The body as 1 MiB pieces, for both sides. (httpx given one big ``bytes`` writes it
    with ``buffer = buffer[sent:]`` after each send: quadratic copying, 58-75 MB/s for one
    200 MB body here, which would measure the client.)"""
    for o in range(0, len(data), PIECE):
        yield bytes(data[o:o + PIECE])


def tus_upload(client: Any, data: memoryview, chunk: int) -> str:
    """POST the length, PATCH chunk after chunk at the server's offset; the upload's id."""
    r = client.post("/api/videos/uploads", headers={"Upload-Length": str(len(data)),
                                                    "Tus-Resumable": "1.0.0"})
    assert r.status_code == 201, r.text[:300]
    location = r.headers["Location"]
    offset = 0
    while offset < len(data):
        body = data[offset:offset + chunk]
        r = client.patch(location, content=pieces(body), headers={
            "Tus-Resumable": "1.0.0", "Upload-Offset": str(offset),
            "Content-Length": str(len(body)),
            "Content-Type": "application/offset+octet-stream"})
        assert r.status_code == 204, r.text[:300]
        offset = int(r.headers["Upload-Offset"])
    assert offset == len(data)
    return str(location.rsplit("/", 1)[1])


def bare_put(client: Any, name: str, data: memoryview) -> Any:
    return client.put(f"/put/{name}", content=pieces(data),
                      headers={"Content-Length": str(len(data))})


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        while block := f.read(8 * 1024 * 1024):
            h.update(block)
    return h.hexdigest()


def bench_upload(srv: Servers, size_mb: int, chunk_mib: int, repeat: int) -> None:
    import httpx

    data = memoryview(os.urandom(size_mb * MB))
    want = hashlib.sha256(data).hexdigest()
    chunk = chunk_mib * 1024 * 1024
    auth = {"Authorization": f"Bearer {srv.token}"}
    tus_s: list[float] = []
    put_s: list[float] = []
    tus_cpu: list[float] = []
    put_cpu: list[float] = []
    with httpx.Client(base_url=srv.base, headers=auth, timeout=600) as tus, \
            httpx.Client(base_url=srv.bare, timeout=600) as bare:
        tus_upload(tus, data[:chunk + 1], chunk)  # warm both: first use of each route
        bare_put(bare, "warm", data[:chunk])
        for k in range(repeat):
            cpu0, t0 = proc_cpu_s(srv.proc.pid), time.perf_counter()
            upload_id = tus_upload(tus, data, chunk)
            tus_s.append(time.perf_counter() - t0)
            tus_cpu.append(proc_cpu_s(srv.proc.pid) - cpu0)
            part = srv.data / "uploads" / f"{upload_id}.part"
            assert sha256_file(part) == want, "chuhai's upload differs from what was sent"
            part.unlink()

            cpu0, t0 = proc_cpu_s(srv.bare_proc.pid), time.perf_counter()
            r = bare_put(bare, f"run{k}", data)
            put_s.append(time.perf_counter() - t0)
            put_cpu.append(proc_cpu_s(srv.bare_proc.pid) - cpu0)
            assert r.status_code == 204 and int(r.headers["X-Written"]) == len(data)
            got = srv.uploads_bare / f"run{k}"
            assert sha256_file(got) == want, "the bare upload differs from what was sent"
            got.unlink()
            print(f"# upload run {k + 1}: tus {len(data) / MB / tus_s[-1]:.0f} MB/s, bare "
                  f"PUT {len(data) / MB / put_s[-1]:.0f} MB/s", file=sys.stderr, flush=True)
    tus_rate, put_rate = len(data) / MB / min(tus_s), len(data) / MB / min(put_s)
    report("video_upload_tus_mb_s", tus_rate, "MB/s", put_rate, {
        "mb": size_mb, "chunk_mib": chunk_mib, "chunks": -(-len(data) // chunk),
        "chuhai_mb_s": round(tus_rate, 1), "bare_put_mb_s": round(put_rate, 1),
        "chuhai_wall_s": [round(x, 2) for x in tus_s],
        "bare_wall_s": [round(x, 2) for x in put_s],
        "chuhai_server_cpu_s": [round(x, 2) for x in tus_cpu],
        "bare_server_cpu_s": [round(x, 2) for x in put_cpu],
        "target_ratio": 0.5, **machine(),
        "baseline": "one streaming PUT of the same bytes to a bare Starlette app on uvicorn "
                    "(another process), written to a file, one fsync"})


# --------------------------------------------------------------------------- 3. ttff

INIT = """
(() => {
  if (window.__ttff) return;
  const t = {};
  window.__ttff = t;
  const mark = (k, v) => { if (!(k in t)) t[k] = v === undefined ? performance.now() : v; };
  try {
    new PerformanceObserver((l) => { for (const e of l.getEntries()) {
      mark(e.name === "first-paint" ? "first_paint" : "fcp", e.startTime); } })
      .observe({ type: "paint", buffered: true });
    new PerformanceObserver((l) => { for (const e of l.getEntries()) {
      const at = e.renderTime || e.startTime;
      if (e.url && e.url.includes("poster")) mark("poster_painted", at);
      (t.lcp = t.lcp || []).push([at, (e.url || e.element?.tagName || "").slice(-40)]);
      } }).observe({ type: "largest-contentful-paint", buffered: true });
    new PerformanceObserver((l) => { for (const e of l.getEntries()) {
      if (e.name.includes("poster")) mark("poster_loaded", e.responseEnd);
      if (e.name.includes("hls.min.js")) mark("hls_js_loaded", e.responseEnd);
      if (e.name.includes(".m3u8")) mark("first_playlist", e.responseEnd);
      if (e.name.includes(".ts")) mark("first_segment", e.responseEnd);
      } }).observe({ type: "resource", buffered: true });
  } catch (e) { t.error = String(e); }
  const hooked = new WeakSet();
  const hook = (v) => {
    if (hooked.has(v) || !v.requestVideoFrameCallback) return;
    hooked.add(v);
    v.requestVideoFrameCallback(() => { mark("first_frame"); t.width = v.videoWidth; });
  };
  addEventListener("loadstart", (e) => { mark("loadstart"); hook(e.target); }, true);
  addEventListener("playing", () => mark("playing"), true);
  addEventListener("timeupdate", (e) => {
    if (e.target.currentTime > 0) { mark("timeupdate"); t.src = e.target.currentSrc; }
  }, true);
  addEventListener("DOMContentLoaded", () => {
    mark("dcl");
    const nav = performance.getEntriesByType("navigation")[0];
    if (nav) { mark("html_first_byte", nav.responseStart); mark("html_loaded", nav.responseEnd); }
  });
})();
"""
KEYS = ("html_first_byte", "html_loaded", "hls_js_loaded", "poster_loaded", "poster_painted",
        "first_paint", "fcp", "dcl", "loadstart",
        "first_playlist", "first_segment", "playing", "timeupdate", "first_frame")


def one_load(browser: Any, url: str) -> dict[str, Any]:
    context = browser.new_context(viewport={"width": 390, "height": 844},
                                  device_scale_factor=2, is_mobile=True, has_touch=True)
    try:
        context.add_init_script(script=INIT)
        page = context.new_page()
        page.goto(url, wait_until="commit")
        page.wait_for_function(
            "() => window.__ttff && 'timeupdate' in window.__ttff && "
            "'playing' in window.__ttff", timeout=60_000)
        page.wait_for_timeout(300)  # let the paint/LCP entries arrive
        out: dict[str, Any] = page.evaluate("() => window.__ttff")
        return out
    finally:
        context.close()


def bench_ttff(srv: Servers, clip: Path, runs: int) -> None:
    from playwright.sync_api import sync_playwright

    t0 = time.perf_counter()
    out = srv.cli("video", "ingest", str(clip), "--org", ORG, "--markets", "DE", "--publish",
                  "--wait", "--json", "--title", "Bench clip")
    ingest_s = time.perf_counter() - t0
    video = json.loads(out)
    assert video["status"] == "ready", video
    page = f"{srv.base}/shop/{ORG}/videos?market=DE"
    bare = f"{srv.bare}/player?m={video['master_url']}&p={video['poster_url']}"
    found: dict[str, list[dict[str, Any]]] = {"chuhai": [], "bare": []}
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        version = browser.version
        try:
            one_load(browser, page)  # warm: server-side first-use work and the browser
            one_load(browser, bare)
            for _ in range(runs):
                found["chuhai"].append(one_load(browser, page))
                found["bare"].append(one_load(browser, bare))
        finally:
            browser.close()

    def med(side: str, key: str) -> float | None:
        xs = [r[key] for r in found[side] if isinstance(r.get(key), int | float)]
        return round(statistics.median(xs), 1) if xs else None

    chuhai = {k: med("chuhai", k) for k in KEYS}
    base = {k: med("bare", k) for k in KEYS}
    print(f"# ttff chuhai {chuhai}\n# ttff bare   {base}", file=sys.stderr, flush=True)
    figure, baseline = chuhai["timeupdate"], base["timeupdate"]
    assert figure is not None and baseline is not None
    report("video_time_to_first_frame_ms", figure, "ms", baseline, {
        "page": f"/shop/{ORG}/videos?market=DE", "runs": runs,
        "chuhai_ms": chuhai, "bare_ms": base,
        "chuhai_timeupdate_ms_all": [round(r["timeupdate"]) for r in found["chuhai"]],
        "bare_timeupdate_ms_all": [round(r["timeupdate"]) for r in found["bare"]],
        "lcp_entries_first_load": {s: [[round(a), u] for a, u in found[s][0].get("lcp", [])]
                                   for s in found},
        "played_width": {s: sorted({r.get("width") for r in found[s]}) for s in found},
        "played_src": found["chuhai"][0].get("src", "")[-60:],
        "clip_s": video["duration_s"], "ingest_s": round(ingest_s, 1),
        "chromium": version, "viewport": "390x844 @2x, mobile", **machine(),
        "baseline": "bare page from a bare Starlette app: <video muted autoplay "
                    "poster src=master.m3u8>, same media files"})


# --------------------------------------------------------------------------- main


def bench_asr(work: Path, repeat: int) -> None:
    """Speech to captions with PocketSphinx: chuhai's pipeline (VAD, then the decoder on each
    stretch of speech, then cues) against the bare decoder over the whole sound track, on
    60 s of espeak-ng speech with pauses (a figure of the engine on this machine; its
    accuracy is not what is measured)."""
    from chuhai.video import asr

    espeak = shutil.which("espeak-ng")
    if espeak is None:
        print("# asr skipped: espeak-ng is not installed", file=sys.stderr)
        return
    said = ("Hello and welcome to the evening live. These headphones cancel the noise on "
            "the train. The battery lasts thirty hours, and the case charges them twice. ")
    wav_path = work / "said.wav"
    subprocess.run([espeak, "-s", "150", "-g", "20", "-w", str(wav_path), said * 4],
                   check=True, timeout=120)
    pcm = asr.pcm16k(wav_path)
    seconds = len(pcm) / 2 / asr.RATE
    engine = asr.PocketSphinx()

    def bare() -> None:
        from pocketsphinx import Decoder

        d = Decoder(samprate=asr.RATE, loglevel="FATAL")
        d.start_utt()
        d.process_raw(pcm, full_utt=True)
        d.end_utt()

    ours, base = [], []
    cues = []
    for _ in range(repeat):
        t = time.perf_counter()
        cues = asr.transcribe(wav_path, "en", engine)
        ours.append(time.perf_counter() - t)
        t = time.perf_counter()
        bare()
        base.append(time.perf_counter() - t)
    report("video_asr_rtf", round(seconds / min(ours), 2), "s of speech per s of wall time",
           round(seconds / min(base), 2), {
               "engine": "pocketsphinx (en-us model from its wheel)", "audio_s": round(seconds, 1),
               "chuhai_wall_s": [round(x, 2) for x in ours],
               "bare_decoder_wall_s": [round(x, 2) for x in base], "cues": len(cues),
               "baseline": "the PocketSphinx decoder over the whole track, no VAD, no cues"})


# --------------------------------------------------------------------------- 5. captions


SCRIPT = (
    "Hello and welcome back to the SonicWave evening live. Today I have the ANC1 "
    "headphones with me, and I will show you how quiet they are on a train. The noise "
    "cancelling has three levels, and you switch them with one tap on the left cup. The "
    "battery lasts thirty hours, and ten minutes of charging gives you five more. They "
    "fold flat, so they fit in this small case. The case is included in the box. If you "
    "wear glasses, the soft cushions do not press on them. You can pair two phones at "
    "the same time. Calls sound clear because four microphones pick up your voice. They "
    "come in black and in white. Shipping to your country is included in the price you "
    "see. Ask me anything in the chat, in your own language. Thank you for watching, and "
    "see you tomorrow at the same time.")


def speech_cues(script: str, seconds: float = 60.0) -> list[Any]:
    """The script as speech recognition would cut it: about seven words a cue, sentences
    running on across cues, spread evenly over ``seconds`` (a spoken minute)."""
    from chuhai.video.captions import Cue

    words = script.split()
    per = seconds / len(words)
    cues, at = [], 0
    while at < len(words):
        n = 7 if at % 3 else 6
        chunk = words[at:at + n]
        start = round(at * per, 3)
        cues.append(Cue(start, round(start + len(chunk) * per - 0.05, 3), " ".join(chunk)))
        at += n
    return cues


def libre_app(latency_ms: float) -> Any:
    """A stand-in speaking LibreTranslate's API (POST /translate → translatedText), which
    waits ``latency_ms`` per request like a hosted provider and counts what it is sent."""
    import asyncio

    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import JSONResponse
    from starlette.routing import Route

    seen = {"requests": 0, "chars": 0}

    async def translate(request: Request) -> JSONResponse:
        body = await request.json()
        seen["requests"] += 1
        seen["chars"] += len(body["q"])
        await asyncio.sleep(latency_ms / 1000)
        return JSONResponse({"translatedText": f"[{body['target']}] {body['q']}"})

    async def stats(request: Request) -> JSONResponse:
        return JSONResponse(seen)

    return Starlette(routes=[Route("/translate", translate, methods=["POST"]),
                             Route("/stats", stats)])


def serve_libre(port: int, latency_ms: float) -> None:
    import uvicorn

    uvicorn.run(libre_app(latency_ms), host="127.0.0.1", port=port, log_level="warning")


def bench_captions(latency_ms: float, price_per_million: float) -> None:
    """A spoken minute of captions into German, Japanese and Arabic through chuhai's chain
    (rejoined sentences, the translation cache, then LibreTranslate over HTTP) — first
    cold, then the same captions again (a second cut, a re-run), then again after the
    seller corrected one cue — against the baseline: each cue sent to the same provider
    as it is, with no cache. Figure: provider characters (what a hosted provider bills)
    per caption minute and target language, and that at ``price_per_million``."""
    import asyncio

    import httpx

    from chuhai.comms.cache import TranslationCache
    from chuhai.comms.providers.libretranslate import LibreTranslate
    from chuhai.comms.translator import TranslationChain
    from chuhai.video.caption_translation import translate_cues
    from chuhai.video.captions import Cue

    port = free_port()
    proc = subprocess.Popen([sys.executable, __file__, "--serve-libre", str(port),
                             str(latency_ms)], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    targets = ["de", "ja", "ar"]
    cues = speech_cues(SCRIPT)
    minutes = cues[-1].end_s / 60

    def stats() -> dict[str, int]:
        return dict(httpx.get(f"{base}/stats", timeout=5).json())

    async def run() -> dict[str, Any]:
        chain = TranslationChain([LibreTranslate(base, None, 10.0)], cache=TranslationCache())

        async def through_chain(batch: list[Any]) -> dict[str, float]:
            before, t = stats(), time.perf_counter()
            for target in targets:
                async def one(text: str, target: str = target) -> str:
                    return (await chain.translate(text, "en", target)).text
                await translate_cues(batch, one, target)
            after = stats()
            return {"wall_s": time.perf_counter() - t,
                    "requests": after["requests"] - before["requests"],
                    "chars": after["chars"] - before["chars"]}

        direct = LibreTranslate(base, None, 10.0)
        before, t = stats(), time.perf_counter()
        for target in targets:
            for cue in cues:
                await direct.translate(cue.text, "en", target)
        after = stats()
        baseline = {"wall_s": time.perf_counter() - t,
                    "requests": after["requests"] - before["requests"],
                    "chars": after["chars"] - before["chars"]}
        cold = await through_chain(cues)
        warm = await through_chain(cues)
        fixed = list(cues)
        at = next(i for i, c in enumerate(cues) if "quiet" in c.text)
        fixed[at] = Cue(cues[at].start_s, cues[at].end_s, cues[at].text.replace("quiet",
                                                                                "silent"))
        corrected = await through_chain(fixed)
        return {"baseline": baseline, "cold": cold, "warm": warm, "corrected": corrected}

    try:
        wait_up(f"{base}/stats", proc, "LibreTranslate stand-in")
        got = asyncio.run(run())
    finally:
        proc.terminate()
        proc.wait(timeout=20)

    def per_min(x: dict[str, float]) -> dict[str, float]:
        chars = x["chars"] / minutes / len(targets)
        return {"chars_per_min_per_lang": round(chars, 1),
                "eur_per_min_per_lang": round(chars * price_per_million / 1e6, 5),
                "requests_per_min_per_lang": round(x["requests"] / minutes / len(targets), 1),
                "wall_s_per_min_per_lang": round(x["wall_s"] / minutes / len(targets), 3)}

    figures = {k: per_min(v) for k, v in got.items()}
    report("video_caption_translation_cost",
           figures["cold"]["eur_per_min_per_lang"], "EUR per caption minute per language "
           "(cold)", figures["baseline"]["eur_per_min_per_lang"], {
               **figures,
               "cues": len(cues), "caption_minutes": round(minutes, 2),
               "source_chars": sum(len(c.text) for c in cues), "targets": targets,
               "provider": f"LibreTranslate API stand-in over HTTP, {latency_ms:g} ms a "
                           "request",
               "price": f"EUR {price_per_million:g} per million source characters (DeepL "
                        "API Pro's usage price, EUR 0.00002 a character: "
                        "https://support.deepl.com/hc/it/articles/360020685720, read "
                        "2026-12-06)",
               "about": {
                   "baseline": "every cue sent to the same provider as it is, no cache",
                   "cold": "chuhai's chain, empty cache: rejoined sentences to the provider",
                   "warm": "the same captions again: every sentence from the cache",
                   "corrected": "one cue corrected: only its sentence goes to the provider"}})


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--only", action="append",
                    choices=["transcode", "upload", "ttff", "asr", "captions"],
                    help="run only this measurement (repeatable); default: all")
    ap.add_argument("--seconds", type=float, default=30.0,
                    help="length of the 1080x1920 test clip to transcode (default 30)")
    ap.add_argument("--repeat", type=int, default=2,
                    help="transcode runs of each side; best kept (default 2)")
    ap.add_argument("--upload-mb", type=int, default=200, help="upload size in MB (200)")
    ap.add_argument("--upload-repeat", type=int, default=3,
                    help="uploads of each side; best kept (default 3)")
    ap.add_argument("--chunk-mib", type=int, default=16, help="tus PATCH size in MiB (16)")
    ap.add_argument("--ttff-runs", type=int, default=3,
                    help="page loads of each side for time to first frame (default 3)")
    ap.add_argument("--ttff-seconds", type=float, default=10.0,
                    help="length of the 1080x1920 clip ingested for ttff (default 10)")
    ap.add_argument("--provider-ms", type=float, default=120.0,
                    help="the translation stand-in's latency per request (default 120 ms)")
    ap.add_argument("--price-per-million", type=float, default=20.0,
                    help="provider price per million characters, EUR (default 20: DeepL)")
    ap.add_argument("--keep", action="store_true", help="keep the temporary folder")
    args = ap.parse_args()
    only = set(args.only or ["transcode", "upload", "ttff", "asr", "captions"])
    if "ttff" in only and not Path(CHROMIUM).exists():
        if args.only:
            sys.exit(f"Chromium not found at {CHROMIUM} (CHUHAI_CHROMIUM); `make test` "
                     "installs it")
        print(f"# ttff skipped: no Chromium at {CHROMIUM}", file=sys.stderr)
        only.discard("ttff")
    work = Path(tempfile.mkdtemp(prefix="chuhai-bench-video-"))
    try:
        if "transcode" in only:
            clip = make_clip(work / "clip.mp4", args.seconds)
            bench_transcode(work, args.repeat, clip)
            clip.unlink()
        if "asr" in only:
            bench_asr(work, args.repeat)
        if "captions" in only:
            bench_captions(args.provider_ms, args.price_per_million)
        if only & {"upload", "ttff"}:
            srv = Servers(work)
            try:
                if "upload" in only:
                    bench_upload(srv, args.upload_mb, args.chunk_mib, args.upload_repeat)
                if "ttff" in only:
                    clip = make_clip(work / "ttff.mp4", args.ttff_seconds)
                    bench_ttff(srv, clip, args.ttff_runs)
            finally:
                srv.close()
    finally:
        if args.keep:
            print(f"# kept {work}", file=sys.stderr)
        else:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    if len(sys.argv) == 5 and sys.argv[1] == "--serve-bare":
        serve_bare(int(sys.argv[2]), sys.argv[3], sys.argv[4])
    elif len(sys.argv) == 4 and sys.argv[1] == "--serve-libre":
        serve_libre(int(sys.argv[2]), float(sys.argv[3]))
    else:
        sys.path.insert(0, str(ROOT))
        main()
