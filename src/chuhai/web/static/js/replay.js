// Replay: the recording, the chat shown as it happened, product chapters from the pin timeline.
import { el, attachVideo } from "./live-client.js";

const cfg = document.getElementById("replay").dataset;
const video = document.getElementById("video");
const chatBox = document.getElementById("chat");
const chaptersBox = document.getElementById("chapters");
const data = await (await fetch(`/api/rooms/${encodeURIComponent(cfg.room)}/replay`)).json();
attachVideo(video, cfg.recording);
let clock = 0;
let shown = 0;
const fmt = (t) => `${Math.floor(t / 60)}:${String(Math.floor(t % 60)).padStart(2, "0")}`;

data.chapters.forEach((c) => {
  chaptersBox.append(el("li", {}, el("button", { type: "button", class: "secondary", "data-t": c.t,
    onclick: () => { if (cfg.recording) { video.currentTime = c.t; video.play(); } else { clock = c.t; render(); } } },
    `${fmt(c.t)} · ${c.title}`)));
});

function render() {
  const now = cfg.recording ? video.currentTime : clock;
  const due = data.chat.filter((m) => m.t <= now);
  if (due.length < shown) { chatBox.replaceChildren(); shown = 0; }
  for (const m of due.slice(shown)) {
    chatBox.append(el("li", { class: m.kind === "question" ? "q" : "" }, el("b", {}, m.author), " ", m.text));
  }
  shown = due.length;
  chatBox.scrollTop = chatBox.scrollHeight;
}
video.addEventListener("timeupdate", render);
video.addEventListener("seeked", render);
if (!cfg.recording) setInterval(() => { clock += 1; render(); }, 1000);
render();
