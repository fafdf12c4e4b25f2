// Planning a room: presentation advice for each market ticked in the form, fetched from
// /api/culture/advice (seller culture → market) and shown beside the form.
import { el } from "./live-client.js";
import { _ } from "./i18n.js";

const box = document.getElementById("advice");
const list = document.getElementById("advice-list");
const cache = new Map();

async function adviceFor(market) {
  if (!cache.has(market)) {
    const r = await fetch(`/api/culture/advice?seller=${encodeURIComponent(box.dataset.seller)}&market=${encodeURIComponent(market)}`);
    cache.set(market, r.ok ? await r.json() : null);
  }
  return cache.get(market);
}

async function render() {
  const markets = [...document.querySelectorAll('input[name="markets"]:checked')].map((i) => i.value);
  const items = [];
  for (const m of markets) {
    const a = await adviceFor(m);
    if (!a) continue;
    items.push(el("details", { open: items.length === 0 ? "" : null },
      el("summary", {}, el("strong", {}, a.target.name), " ", _("(%(code)s) — %(count)s point(s)", { code: a.target.code, count: a.advice.length })),
      el("ul", {}, ...(a.advice.length ? a.advice.map((r) => el("li", {},
        el("strong", {}, r.dimension_name), `: ${r.advice}`,
        r.do.length ? el("div", {}, el("small", {}, _("Do: %(items)s", { items: r.do.join("; ") }))) : null))
        : [el("li", {}, _("No large cultural gap on these dimensions."))]))));
  }
  list.replaceChildren(...(items.length ? items : [el("p", { class: "muted" }, _("Tick a market to see advice."))]));
}

if (box) {
  document.querySelectorAll('input[name="markets"]').forEach((i) => i.addEventListener("change", render));
  render();
}
