// The host console: chat with moderation, the question queue, pin/unpin from the run of
// show, polls, live counters. Same socket protocol as viewers, with host/moderator rights.
import { LiveClient, el } from "./live-client.js";
import { _ } from "./i18n.js";

const root = document.getElementById("host");
const cfg = root.dataset;
const $ = (id) => document.getElementById(id);
const chat = $("chat");
const questions = $("questions");
let counters = {};
let poll = null;
let pinned = [];

// Screening findings on the host's own line: the rule, the market, the rewrite to use.
// `later`: screened by meaning after it went out (the room's budget was spent).
function showFindings(findings, blocked, later = false, seq = null) {
  const box = $("screening");
  if (!box) return;
  box.hidden = false;
  box.prepend(el("div", { class: blocked ? "finding blocked" : "finding" },
    el("strong", {}, blocked ? _("Not sent") : later ? _("Flagged after sending") : _("Flagged")), " ",
    later && seq ? el("small", { class: "muted" }, `#${seq} `) : null,
    ...findings.map((f) => el("div", {},
      el("span", { class: "badge" }, f.market || ""), " ", el("code", {}, f.rule), ` ${f.category} «${f.match}» → `,
      el("em", {}, f.suggestion)))));
  while (box.children.length > 6) box.lastChild.remove();
}

function chatLine(ev) {
  const d = ev.data;
  const mod = cfg.canModerate === "1" && d.role !== "host" && d.role !== "moderator";
  const item = el("li", { "data-seq": ev.seq },
    el("small", { class: "muted" }, `#${ev.seq} `), el("b", {}, d.author), " ",
    el("span", { class: "text" }, d.text),
    d.flags ? el("span", { class: "badge flag", title: _("screening flagged this line") }, d.flags.join(", ")) : null,
    d.redacted ? el("span", { class: "badge", title: _("personal data was hidden") }, _("PII hidden")) : null,
    mod ? el("span", { class: "mod" },
      el("button", { type: "button", onclick: () => client.send({ type: "mod.delete", seq: ev.seq }) }, _("Delete")),
      el("button", { type: "button", onclick: () => client.send({ type: "mod.mute", subject: d.author_id, minutes: muteMinutes() }) }, _("Mute")),
      el("button", { type: "button", onclick: () => { if (confirm(_("Ban %(author)s from this room?", { author: d.author }))) client.send({ type: "mod.ban", subject: d.author_id }); } }, _("Ban"))) : null);
  chat.append(item);
  while (chat.children.length > 300) chat.firstChild.remove();
  chat.scrollTop = chat.scrollHeight;
}

function question(q) {
  if (questions.querySelector(`[data-seq="${q.seq}"]`)) return;
  const input = el("input", { "aria-label": _("Answer to question %(number)s", { number: q.seq }), placeholder: _("Answer (pinned on screen)"), maxlength: "500" });
  questions.append(el("li", { "data-seq": q.seq },
    el("b", {}, q.author || ""), " ", el("span", {}, q.text || ""),
    cfg.canHost === "1" ? el("form", { class: "answer", onsubmit: (e) => {
      e.preventDefault();
      if (input.value.trim()) client.send({ type: "answer", question: q.seq, text: input.value.trim() });
    } }, input, el("button", { type: "submit" }, _("Answer")),
      el("button", { type: "button", onclick: () => client.send({ type: "question.answered", question: q.seq }) }, _("Mark answered"))) : null));
  $("qcount").textContent = questions.children.length;
}

function renderPins() {
  document.querySelectorAll("[data-pin]").forEach((b) => {
    const on = pinned.some((p) => p.product_id === b.dataset.pin);
    b.textContent = on ? _("Unpin") : _("Pin");
    b.setAttribute("aria-pressed", on ? "true" : "false");
  });
  $("pinned").replaceChildren(...pinned.map((p) => el("li", {}, p.title)));
}

function renderCounters(c, viewers) {
  Object.assign(counters, c || {});
  if (viewers !== undefined) $("viewers").textContent = viewers;
  $("likes").textContent = counters.likes || 0;
  $("questions-total").textContent = counters.questions || 0;
  const box = $("poll-tally");
  if (poll) {
    box.replaceChildren(el("b", {}, poll.open ? poll.question : _("%(question)s (closed)", { question: poll.question })),
      ...poll.options.map((o, i) => el("div", {}, `${o}: ${counters[`poll:${poll.id}:${i}`] || 0}`)));
    if ($("poll-close")) $("poll-close").hidden = !poll.open;
  } else box.replaceChildren();
}

const client = new LiveClient(cfg.room, {
  lang: cfg.lang, market: cfg.market,
  onStatus: (s) => { $("status").textContent = s; },
  onHello(h) {
    if (h.reset) { chat.replaceChildren(); questions.replaceChildren(); h.messages.forEach(chatLine); }
    h.state.questions.forEach(question);
    pinned = h.state.pinned; renderPins();
    poll = h.state.poll;
    if ($("slow")) $("slow").value = h.state.slow_mode_s;  // moderators only
    if ($("followers")) $("followers").checked = h.state.followers_only;
    renderCounters(h.counters, h.viewers);
  },
  onEvent(ev) {
    const d = ev.data;
    switch (ev.type) {
      case "chat": chatLine(ev); break;
      case "chat.translation": {
        // The host reads the original and, below it, the line in the host's own language.
        const item = chat.querySelector(`[data-seq="${d.seq}"]`);
        if (item && !item.querySelector(".tr")) item.append(el("div", { class: "tr muted", lang: d.lang },
          d.machine ? _("MT (%(lang)s): %(text)s", { lang: d.lang, text: d.text }) : _("Tr (%(lang)s): %(text)s", { lang: d.lang, text: d.text })));
        break;
      }
      case "question": chatLine(ev); question({ seq: ev.seq, text: d.text, author: d.author }); break;
      case "chat.flagged": {
        // screened by meaning after it went out: the flag the line would have carried
        const item = chat.querySelector(`[data-seq="${d.seq}"]`);
        const badge = item?.querySelector(".flag");
        if (badge) badge.textContent = [...new Set([...badge.textContent.split(", "), ...d.flags])].join(", ");
        else if (item) item.querySelector(".text")?.after(" ",
          el("span", { class: "badge flag", title: _("screening flagged this line after it was sent") }, d.flags.join(", ")));
        break;
      }
      case "chat.deleted": chat.querySelector(`[data-seq="${d.seq}"]`)?.remove(); questions.querySelector(`[data-seq="${d.seq}"]`)?.remove(); break;
      case "question.answered": case "answer": questions.querySelector(`[data-seq="${d.question}"]`)?.remove(); $("qcount").textContent = questions.children.length; break;
      case "pin": pinned = [...pinned.filter((p) => p.product_id !== d.product_id), d].slice(-3); renderPins(); break;
      case "unpin": pinned = pinned.filter((p) => p.product_id !== d.product_id); renderPins(); break;
      case "poll.open": poll = { ...d, open: true }; renderCounters(); break;
      case "poll.close": if (poll) poll.open = false; renderCounters(); break;
      case "moderation": log(d.seconds !== undefined ? _("moderation: %(action)s %(seconds)s s", { action: d.action, seconds: d.seconds }) : _("moderation: %(action)s", { action: d.action })); break;
      case "room.status": log(_("room is %(status)s", { status: d.status })); break;
      case "drop": case "auction": window.dispatchEvent(new CustomEvent(`chuhai:${ev.type}`, { detail: d })); break;
    }
  },
  onAgg(a) { renderCounters(a.counters, a.viewers); },
  onError(e) { log(`⚠ ${e.message} (${e.code})`); if (e.details) showFindings(e.details, true); },
  onScreening(m) { showFindings(m.findings, false, m.later === true, m.seq); },
});

function log(text) {
  const l = $("log");
  l.prepend(el("li", {}, text));
  while (l.children.length > 20) l.lastChild.remove();
}

window.chuhaiClient = client;
client.connect();

document.querySelectorAll("[data-pin]").forEach((b) => b.addEventListener("click", () => {
  const on = pinned.some((p) => p.product_id === b.dataset.pin);
  client.send({ type: on ? "unpin" : "pin", product_id: b.dataset.pin });
}));
$("poll-form")?.addEventListener("submit", (e) => {
  e.preventDefault();
  const f = e.target;
  const options = f.options.value.split("\n").map((s) => s.trim()).filter(Boolean);
  // Cleared once sent, ready for the next poll (the tally above shows the launched one).
  if (client.send({ type: "poll.open", question: f.question.value.trim(), options })) f.reset();
});
$("poll-close")?.addEventListener("click", () => poll && client.send({ type: "poll.close", poll: poll.id }));
$("slow")?.addEventListener("change", (e) => client.send({ type: "mod.slow", seconds: Number(e.target.value) || 0 }));
$("followers")?.addEventListener("change", (e) => client.send({ type: "mod.followers_only", on: e.target.checked }));
$("compose").addEventListener("submit", (e) => {
  e.preventDefault();
  const t = $("text");
  if (t.value.trim() && client.send({ type: "chat", text: t.value.trim() })) t.value = "";
});

// The console's mute length (1–1440 minutes; the protocol takes any N in its range).
function muteMinutes() {
  const n = Number(document.getElementById("mute-minutes")?.value || 10);
  return Math.min(1440, Math.max(1, Number.isFinite(n) ? Math.round(n) : 10));
}
