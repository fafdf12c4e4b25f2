// The seller's video page: a resumable (tus) upload in chunks with a progress bar, then the
// video's processing followed step by step; tags and publishing through the video API.
import { _ } from "./i18n.js";

const $ = (id) => document.getElementById(id);
const csrf = $("upload")?.dataset.csrf || "";
const CHUNK = 8 * 1024 * 1024;

async function call(method, url, body, headers = {}) {
  const resp = await fetch(url, { method, credentials: "same-origin",
    headers: { "x-csrf-token": csrf, ...(body instanceof Blob ? {} : { "content-type": "application/json" }), ...headers },
    body: body instanceof Blob ? body : body ? JSON.stringify(body) : undefined });
  const data = resp.status === 204 || method === "HEAD" ? {} : await resp.json().catch(() => ({}));
  if (!resp.ok) throw Object.assign(new Error(data.detail || `HTTP ${resp.status}`), { code: data.code, resp });
  return { data, resp };
}

async function upload(file, onProgress) {
  const meta = `filename ${btoa(unescape(encodeURIComponent(file.name)))}`;
  const { resp } = await call("POST", "/api/videos/uploads", null, { "Upload-Length": String(file.size), "Upload-Metadata": meta, "Tus-Resumable": "1.0.0" });
  const url = resp.headers.get("location");  // header names are case-insensitive
  let offset = 0;
  let failures = 0;
  while (offset < file.size) {
    try {
      const r = await call("PATCH", url, file.slice(offset, offset + CHUNK), { "content-type": "application/offset+octet-stream", "Upload-Offset": String(offset) });
      offset = Number(r.resp.headers.get("Upload-Offset"));
      failures = 0;
    } catch (err) {
      if (++failures > 5) throw err;
      await new Promise((r) => setTimeout(r, 1000 * failures));
      const head = await fetch(url, { method: "HEAD", credentials: "same-origin" });  // where the server stopped
      offset = Number(head.headers.get("Upload-Offset") || offset);
    }
    onProgress(offset / file.size);
  }
  return url.split("/").pop();
}

$("upload-form")?.addEventListener("submit", async (e) => {
  e.preventDefault();
  const f = e.target;
  const file = $("file").files[0];
  const status = $("upload-status");
  const bar = $("upload-progress");
  f.querySelector("button").disabled = true;
  try {
    const uploadId = await upload(file, (x) => { bar.value = Math.round(x * 100); status.textContent = `${Math.round(x * 100)} %`; });
    status.textContent = _("Checking the clip …");
    const markets = [...f.querySelectorAll("input[name=markets]:checked")].map((i) => i.value);
    const texts = { [f.lang.value]: { title: f.title.value, description: f.description.value } };
    const { data } = await call("POST", "/api/videos", { upload_id: uploadId, language: f.lang.value, texts, markets });
    status.textContent = _("Processing …");
    await follow(data.id, (v) => { status.textContent = `${v.step} ${Math.round(v.progress * 100)} %`; bar.value = Math.round(v.progress * 100); });
    location.reload();
  } catch (err) {
    status.textContent = `${err.code || _("error")}: ${err.message}`;
  } finally { f.querySelector("button").disabled = false; }
});

async function follow(id, onChange) {
  for (;;) {
    const { data } = await call("GET", `/api/videos/${id}`);
    onChange(data);
    if (data.status !== "processing") return data;
    await new Promise((r) => setTimeout(r, 1000));
  }
}

for (const li of document.querySelectorAll("li.video")) {
  const id = li.dataset.id;
  if (li.dataset.status === "processing") {
    follow(id, (v) => {
      li.querySelector("[data-role=step]").textContent = v.step;
      li.querySelector("[data-role=progress]").value = Math.round(v.progress * 100);
    }).then(() => location.reload());
  }
  li.querySelector(".tag-form")?.addEventListener("submit", async (e) => {
    e.preventDefault();
    const f = e.target;
    try {
      await call("POST", `/api/videos/${id}/tags`, { product_id: f.product.value, start_s: Number(f.start.value), end_s: Number(f.end.value) });
      location.reload();
    } catch (err) { alert(`${err.code}: ${err.message}`); }
  });
  li.querySelector(".caption-form")?.addEventListener("submit", async (e) => {
    e.preventDefault();
    const f = e.target;
    try {
      // decoded strictly, so a file in another encoding is refused here, by name
      const vtt = new TextDecoder("utf-8", { fatal: true }).decode(await f.file.files[0].arrayBuffer());
      await call("POST", `/api/videos/${id}/captions`, { lang: f.lang.value, vtt });
      location.reload();
    } catch (err) {
      alert(err instanceof TypeError ? _("The captions file is not UTF-8; save it as UTF-8 and send it again.") : `${err.code}: ${err.message}`);
    }
  });
  for (const box of li.querySelectorAll("details.caption-edit")) {
    const load = () => loadCues(id, box);
    box.addEventListener("toggle", () => { if (box.open && !box.dataset.loaded) load(); });
    if (box.open) load();
  }
  li.querySelector(".publish")?.addEventListener("click", async () => {
    try { await call("POST", `/api/videos/${id}/publish`, { markets: [] }); location.reload(); }
    catch (err) { alert(`${err.code}: ${err.message}`); }
  });
}

// The captions of one language, cue by cue, each one a line the seller can correct; a cue
// that held the video somewhere is marked. Saving sends that cue alone (the server screens
// it again), then the page shows the markets' new states.
async function loadCues(id, box) {
  box.dataset.loaded = "1";
  const list = box.querySelector("[data-role=cues]");
  const flagged = new Set((box.dataset.flagged || "").split(",").filter(Boolean).map(Number));
  const fmt = (s) => s.toFixed(1);
  try {
    const { data } = await call("GET", `/api/videos/${id}/captions/${encodeURIComponent(box.dataset.lang)}`);
    list.replaceChildren(...data.cues.map((cue) => {
      const row = document.createElement("li");
      row.className = flagged.has(cue.index) ? "cue flagged" : "cue";
      row.dataset.index = cue.index;
      const form = document.createElement("form");
      const label = document.createElement("label");
      label.textContent = `${fmt(cue.start_s)}–${fmt(cue.end_s)} s`;
      const text = document.createElement("textarea");
      text.name = "text"; text.rows = 1; text.maxLength = 300; text.value = cue.text; text.dir = "auto";
      label.append(" ", text);
      const save = document.createElement("button");
      save.type = "submit"; save.textContent = _("Save");
      form.append(label, " ", save);
      form.addEventListener("submit", async (e) => {
        e.preventDefault();
        save.disabled = true;
        try {
          await call("PATCH", `/api/videos/${id}/captions/${encodeURIComponent(box.dataset.lang)}/cues/${cue.index}`, { text: text.value });
          location.reload();
        } catch (err) { alert(`${err.code}: ${err.message}`); save.disabled = false; }
      });
      row.append(form);
      return row;
    }));
  } catch (err) { list.textContent = `${err.code || _("error")}: ${err.message}`; }
}
