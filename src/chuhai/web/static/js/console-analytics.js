// The seller's analytics page: orders and GMV per channel group and week (Apache ECharts,
// vendored), the funnel, the trust figures and the duty-invoice upload, the attribution
// settings, and holdout experiments with their lift reports —
// all through the analytics API; nothing here computes a figure.
import { _ } from "./i18n.js";

const $ = (id) => document.getElementById(id);
const csrf = $("channels")?.dataset.csrf || "";
const lang = document.documentElement.lang || "en";
const GROUPS = ["interest", "search", "direct"];
const GROUP_NAMES = { interest: () => _("Interest"), search: () => _("Search"), direct: () => _("Direct") };
const COLORS = { interest: "#d9480f", search: "#1c7ed6", direct: "#868e96" };

async function call(method, url, body) {
  const resp = await fetch(url, { method, credentials: "same-origin",
    headers: { "x-csrf-token": csrf, "content-type": "application/json" },
    body: body ? JSON.stringify(body) : undefined });
  const data = await resp.json().catch(() => ({}));
  if (!resp.ok) throw Object.assign(new Error(data.detail || `HTTP ${resp.status}`), { code: data.code });
  return data;
}

function say(text) {
  const t = $("toast");
  t.textContent = text;
  t.hidden = false;
  clearTimeout(say.t);
  say.t = setTimeout(() => { t.hidden = true; }, 5000);
}

const number = (x, digits = 0) => new Intl.NumberFormat(lang, { maximumFractionDigits: digits }).format(x);
const pct = (x) => new Intl.NumberFormat(lang, { style: "percent", maximumFractionDigits: 1 }).format(x);

function money(amount, currency) {
  try { return new Intl.NumberFormat(lang, { style: "currency", currency }).format(Number(amount)); }
  catch { return `${amount} ${currency}`; }
}

function el(tag, attrs = {}, ...kids) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) if (v !== undefined && v !== null && v !== false) e.setAttribute(k, v);
  e.append(...kids.flat().filter((k) => k !== null && k !== undefined));
  return e;
}

// ---------------------------------------------------------------- channels chart
let chart = null;
let last = null;

function draw(report) {
  const measure = $("measure").value;
  const weeks = [...new Set(report.rows.map((r) => r.week))].sort();
  const cell = {};
  for (const r of report.rows) {
    const k = `${r.week}|${r.group}`;
    cell[k] = (cell[k] || 0) + (measure === "gmv" ? Number(r.gmv) : r.orders);
  }
  const series = GROUPS.map((g) => ({
    name: GROUP_NAMES[g](), type: "bar", stack: "all", itemStyle: { color: COLORS[g] },
    data: weeks.map((w) => Number((cell[`${w}|${g}`] || 0).toFixed(measure === "gmv" ? 2 : 3))),
  }));
  if (!window.echarts) return;
  chart = chart || window.echarts.init($("chart"), null, { renderer: "canvas" });
  chart.setOption({
    aria: { enabled: true },
    tooltip: { trigger: "axis", renderMode: "richText" },
    legend: { top: 0 },
    grid: { left: 70, right: 20, top: 40, bottom: 50 },
    xAxis: { type: "category", data: weeks, name: _("Week of"), nameLocation: "middle", nameGap: 28 },
    yAxis: { type: "value", name: measure === "gmv" ? report.currency : _("Orders") },
    series,
  }, true);
}

function summarize(report) {
  const total = report.groups.reduce((s, g) => s + g.orders, 0);
  const interest = report.groups.find((g) => g.group === "interest")?.orders || 0;
  $("chart-summary").textContent = report.orders
    ? _("%(n)s paid orders; %(share)s credited to interest (feed, video, live). %(last)s of the orders have only their last touch.", {
      n: number(report.orders), share: pct(total ? interest / total : 0), last: pct(report.only_last_touch_share) })
    : _("No paid orders in this period.");
  $("fx-note").textContent = _("GMV in %(currency)s, converted at the ECB reference rate of each order's payment date.", { currency: report.currency });
  $("groups").querySelector("tbody").replaceChildren(...report.groups.map((g) => el("tr", {},
    el("th", { scope: "row" }, GROUP_NAMES[g.group]()), el("td", {}, number(g.orders, 2)),
    el("td", {}, money(g.gmv, report.currency)))));
}

async function loadChannels() {
  const form = new FormData($("channels-form"));
  const q = new URLSearchParams();
  for (const k of ["market", "model", "from", "to"]) if (form.get(k)) q.set(k, form.get(k));
  try {
    last = await call("GET", `/api/analytics/channels?${q}`);
    summarize(last);
    draw(last);
  } catch (err) { say(err.message); }
}

$("channels-form")?.addEventListener("submit", (e) => { e.preventDefault(); loadChannels(); loadFunnel(); loadTrust(); });
$("measure")?.addEventListener("change", () => { if (last) draw(last); });
window.addEventListener("resize", () => chart?.resize());

// ---------------------------------------------------------------- funnel
let funnelChart = null;

async function loadFunnel() {
  const q = new URLSearchParams();
  const form = new FormData($("channels-form"));
  for (const k of ["market", "from", "to"]) if (form.get(k)) q.set(k, form.get(k));
  q.set("scope", $("funnel-scope").value);
  if ($("funnel-id").value.trim()) q.set("id", $("funnel-id").value.trim());
  try {
    const f = await call("GET", `/api/analytics/funnel?${q}`);
    const names = { impressions: _("Impressions"), views: _("Views"), clicks: _("Clicks"), cart_adds: _("Cart adds"), checkouts: _("Checkouts"), paid: _("Paid") };
    $("funnel-table").querySelector("tbody").replaceChildren(...f.steps.map((s) => el("tr", {},
      el("th", { scope: "row" }, names[s.step] || s.step), el("td", {}, number(s.count)),
      el("td", {}, s.conversion === null ? "—" : pct(s.conversion)), el("td", { class: "muted" }, s.definition))));
    $("funnel-summary").textContent = _("GMV %(gross)s gross, %(net)s net of cancellations, refunds and returns; average order %(aov)s.", {
      gross: money(f.gmv_gross, f.currency), net: money(f.gmv_net, f.currency), aov: f.aov === null ? "—" : money(f.aov, f.currency) });
    const st = f.step_times;
    const stepText = (x) => !x.shown ? _("— (%(n)s of %(min)s buyers needed)", { n: number(x.n), min: number(x.min_n) })
      : x.within_s !== null ? _("within %(t)s", { t: seconds(x.within_s) }) : _("over %(t)s", { t: seconds(x.beyond_s) });
    $("funnel-steps").textContent = !st ? "" : _("Orders from new buyers: %(new)s; from returning buyers: %(back)s. Median first touch to order: %(touch)s; order to payment: %(pay)s. %(note)s", {
      new: number(st.new_buyer_orders), back: number(st.returning_buyer_orders),
      touch: stepText(st.first_touch_to_order), pay: stepText(st.order_to_paid), note: st.note });
    const room = f.room;
    $("funnel-audience").textContent = !room ? "" : room.peak_viewers === null
      ? _("Peak viewers and watch time are kept when the room ends.")
      : _("Peak: %(peak)s viewers at once; watched for %(hours)s hours in all.", {
        peak: number(room.peak_viewers), hours: number(room.watch_seconds / 3600, 1) });
    if (!window.echarts) return;
    funnelChart = funnelChart || window.echarts.init($("funnel-chart"), null, { renderer: "canvas" });
    funnelChart.setOption({
      aria: { enabled: true }, tooltip: { trigger: "axis", renderMode: "richText" },
      grid: { left: 90, right: 20, top: 10, bottom: 30 },
      xAxis: { type: "value" }, yAxis: { type: "category", inverse: true, data: f.steps.map((s) => names[s.step] || s.step) },
      series: [{ type: "bar", data: f.steps.map((s) => s.count), itemStyle: { color: COLORS.interest } }],
    }, true);
  } catch (err) { say(err.message); }
}

$("funnel-form")?.addEventListener("submit", (e) => { e.preventDefault(); loadFunnel(); });

// Every table can leave as CSV (what the page shows, nothing more).
function csvOf(table) {
  const cell = (t) => `"${t.split('"').join('""')}"`;
  return [...table.querySelectorAll("tr")].map((tr) => [...tr.children].map((c) => cell(c.textContent.trim())).join(",")).join("\r\n");
}

document.addEventListener("click", (e) => {
  const b = e.target.closest("[data-csv]");
  if (!b) return;
  const table = $(b.dataset.csv);
  const a = el("a", { href: URL.createObjectURL(new Blob([csvOf(table)], { type: "text/csv" })), download: `${b.dataset.csv}.csv` });
  document.body.append(a);
  a.click();
  a.remove();
});

// ---------------------------------------------------------------- trust
const TRUST_NAMES = {
  answer_rate: () => _("Questions answered in live rooms"), answer_time: () => _("Median answer time"),
  on_time: () => _("Delivered by the promised date"), return_rate: () => _("Returns per delivery"),
  refund_time: () => _("Median time from return to refund"), repeat_rate: () => _("Orders from returning buyers"),
  landed_held: () => _("Duty and tax as quoted"),
};

function seconds(s) {
  if (s < 120) return _("%(n)s s", { n: number(s) });
  if (s < 7200) return _("%(n)s min", { n: number(s / 60) });
  if (s < 172800) return _("%(n)s h", { n: number(s / 3600) });
  return _("%(n)s days", { n: number(s / 86400) });
}

function figure(f) {
  if (!f.shown) return _("— (%(n)s of %(min)s cases needed)", { n: number(f.n), min: number(f.min_n) });
  if ("within_s" in f && f.value === null) {
    const when = f.within_s !== null ? _("within %(t)s", { t: seconds(f.within_s) }) : _("over %(t)s", { t: seconds(f.beyond_s) });
    return _("%(when)s (n=%(n)s)", { when, n: number(f.n) });
  }
  return _("%(value)s (n=%(n)s)", { value: pct(f.value), n: number(f.n) });
}

async function loadTrust() {
  const q = new URLSearchParams();
  const market = new FormData($("channels-form")).get("market");
  if (market) q.set("market", market);
  if ($("trust-host").value) q.set("host", $("trust-host").value);
  try {
    const t = await call("GET", `/api/analytics/trust?${q}`);
    $("trust-table").querySelector("tbody").replaceChildren(...Object.keys(TRUST_NAMES).map((k) => el("tr", { "data-figure": k },
      el("th", { scope: "row" }, TRUST_NAMES[k]()), el("td", {}, figure(t.windows["30"][k])),
      el("td", {}, figure(t.windows["90"][k])), el("td", { class: "muted" }, t.definitions[k]))));
  } catch (err) { say(err.message); }
}

$("trust-form")?.addEventListener("submit", (e) => { e.preventDefault(); loadTrust(); });

$("duty-form")?.addEventListener("submit", async (e) => {
  e.preventDefault();
  const body = new FormData();
  body.append("file", $("duty-file").files[0]);
  const out = $("duty-result");
  try {
    const resp = await fetch("/api/analytics/duty-invoices", { method: "POST", credentials: "same-origin",
      headers: { "x-csrf-token": csrf }, body });
    const data = await resp.json().catch(() => ({}));
    if (!resp.ok) {
      out.replaceChildren(el("p", { class: "error" }, data.detail || `HTTP ${resp.status}`),
        el("ul", {}, ...(data.errors || []).map((p) => el("li", {}, _("Line %(line)s, %(field)s: %(reason)s", { line: p.line ?? "—", field: p.field, reason: p.reason })))));
      return;
    }
    out.replaceChildren(el("p", {}, _("%(n)s invoices recorded; the quote held for %(held)s. The figures update at the next hourly rollup.", { n: number(data.recorded), held: number(data.held) })));
    $("duty-form").reset();
  } catch (err) { say(err.message); }
});

// ---------------------------------------------------------------- demand
let demandChart = null;

async function loadDemand() {
  const sku = $("demand-sku")?.value;
  if (!sku) return;
  const q = new URLSearchParams({ sku_id: sku, market: $("demand-market").value, horizon: $("demand-horizon").value || "56" });
  try {
    const d = await call("GET", `/api/demand/forecast?${q}`);
    const days = [...d.history.map((h) => h.ds), ...d.forecast.map((p) => p.ds)];
    const pad = (n) => Array(n).fill(null);
    const hist = [...d.history.map((h) => h.y), ...pad(d.forecast.length)];
    const fc = [...pad(d.history.length), ...d.forecast.map((p) => p.yhat)];
    const lo = [...pad(d.history.length), ...d.forecast.map((p) => p.lo80)];
    const band = [...pad(d.history.length), ...d.forecast.map((p) => p.hi80 - p.lo80)];
    $("demand-summary").textContent = _("%(code)s in %(market)s: %(sold)s units in the last 90 days; %(ahead)s expected over the next %(n)s days (%(model)s). %(note)s", {
      code: d.code, market: d.market, sold: number(d.history.reduce((s, h) => s + h.y, 0)),
      ahead: number(d.forecast.reduce((s, p) => s + p.yhat, 0), 1), n: d.horizon,
      model: d.forecast[0]?.model || "—", note: d.note });
    $("reorder-table").querySelector("tbody").replaceChildren(...d.warehouses.map((w) => el("tr", { "data-warehouse": w.warehouse },
      el("th", { scope: "row" }, w.warehouse), el("td", {}, number(w.available)),
      el("td", {}, w.lead_from === "lane"
        ? el("span", { title: `${w.lane.note} ${w.lane.source.join(" ")}` }, w.lane.allowance_days[1]
          ? _("%(n)s days: the sea lane from %(origin)s (%(low)s–%(high)s days %(basis)s, as of %(date)s) and up to %(extra)s days for customs and haulage, until you set your own", {
            n: number(w.reorder.lead_days), origin: w.lane.from, low: number(w.lane.days[0]), high: number(w.lane.days[1]), basis: w.lane.basis, date: w.lane.as_of, extra: number(w.lane.allowance_days[1]) })
          : _("%(n)s days: the sea lane from %(origin)s (%(low)s–%(high)s days %(basis)s, as of %(date)s) until you set your own", {
            n: number(w.reorder.lead_days), origin: w.lane.from, low: number(w.lane.days[0]), high: number(w.lane.days[1]), basis: w.lane.basis, date: w.lane.as_of }))
        : w.restock_lead_days === null ? "—" : _("%(n)s days", { n: number(w.restock_lead_days) })),
      el("td", {}, w.reorder ? number(w.reorder.demand_over_cover, 1) : "—"),
      el("td", {}, w.reorder ? number(w.reorder.safety_stock, 1) : "—"),
      el("td", {}, w.reorder ? number(w.reorder.order) : w.reason))));
    if (!window.echarts) return;
    demandChart = demandChart || window.echarts.init($("demand-chart"), null, { renderer: "canvas" });
    demandChart.setOption({
      aria: { enabled: true }, tooltip: { trigger: "axis", renderMode: "richText" },
      legend: { top: 0, data: [_("Sold"), _("80 % interval"), _("Forecast")] },
      grid: { left: 50, right: 20, top: 40, bottom: 40 },
      xAxis: { type: "category", data: days }, yAxis: { type: "value", name: _("Units") },
      series: [
        { name: _("Sold"), type: "bar", data: hist, itemStyle: { color: COLORS.search } },
        { name: "lo", type: "line", data: lo, stack: "band", symbol: "none", lineStyle: { opacity: 0 }, tooltip: { show: false } },
        { name: _("80 % interval"), type: "line", data: band, stack: "band", symbol: "none", lineStyle: { opacity: 0 }, areaStyle: { color: "#ffd8a8" } },
        { name: _("Forecast"), type: "line", data: fc, symbol: "none", itemStyle: { color: COLORS.interest } },
      ],
    }, true);
  } catch (err) { say(err.message); }
}

$("demand-form")?.addEventListener("submit", (e) => { e.preventDefault(); loadDemand(); });

// ---------------------------------------------------------------- settings
async function loadSettings() {
  try {
    const s = await call("GET", "/api/analytics/settings");
    for (const k of ["click_days", "view_days", "reporting_currency"]) $(k).value = s[k];
  } catch (err) { say(err.message); }
}

$("settings-form")?.addEventListener("submit", async (e) => {
  e.preventDefault();
  try {
    await call("PATCH", "/api/analytics/settings", { click_days: Number($("click_days").value),
      view_days: Number($("view_days").value), reporting_currency: $("reporting_currency").value.toUpperCase() });
    say(_("Saved."));
    loadChannels();
  } catch (err) { say(err.message); }
});

// ---------------------------------------------------------------- experiments
function liftTable(lift) {
  const r = lift.report;
  if (!r) return el("p", { class: "muted" }, _("Not enough buyers yet to compare the groups."), " ", lift.reason ? `(${lift.reason.code})` : "");
  const row = (label, key, fmt) => el("tr", {}, el("th", { scope: "row" }, label),
    el("td", {}, fmt(r.groups.exposed[key])), el("td", {}, fmt(r.groups.holdout[key])),
    el("td", {}, ratio(r.lift[{ conversion_rate: "conversion", orders_per_subject: "orders", gmv_per_subject: "gmv" }[key]])));
  const ratio = (x) => x.lift === null ? "—" : `${x.lift >= 0 ? "+" : ""}${pct(x.lift)} [${pct(x.low)}, ${pct(x.high)}] p=${number(x.p_value, 3)}`;
  return el("div", {},
    el("table", { class: "lift" },
      el("thead", {}, el("tr", {}, el("th", { scope: "col" }, ""), el("th", { scope: "col" }, _("Exposed (n=%(n)s)", { n: number(r.groups.exposed.n) })),
        el("th", { scope: "col" }, _("Held out (n=%(n)s)", { n: number(r.groups.holdout.n) })), el("th", { scope: "col" }, _("Lift, 95 % interval")))),
      el("tbody", {},
        row(_("Conversion"), "conversion_rate", pct),
        row(_("Orders per buyer"), "orders_per_subject", (x) => number(x, 3)),
        row(_("GMV per buyer"), "gmv_per_subject", (x) => money(x.toFixed(2), r.currency)))),
    el("p", {}, _("Incremental orders: %(v)s [%(lo)s, %(hi)s]; incremental GMV: %(g)s [%(glo)s, %(ghi)s].", {
      v: number(r.incremental.orders.value, 1), lo: number(r.incremental.orders.low, 1), hi: number(r.incremental.orders.high, 1),
      g: money(r.incremental.gmv.value.toFixed(2), r.currency), glo: money(r.incremental.gmv.low.toFixed(2), r.currency), ghi: money(r.incremental.gmv.high.toFixed(2), r.currency) })),
    el("p", { class: "muted" }, _("Intervals by the delta method on the log ratio; GMV at the ECB reference rate of each order's day.")));
}

async function renderExperiment(e) {
  const li = el("li", { class: "card", "data-id": e.id },
    el("strong", {}, e.name), " ",
    el("span", { class: "badge" }, e.status === "running" ? _("running") : _("stopped")), " ",
    el("span", { class: "muted" }, `${e.kind === "interest" ? _("interest holdout") : _("personalization holdout")} · ${pct(e.share)} · ${new Date(e.started_at).toLocaleDateString(lang)}`));
  if (e.status === "running") {
    const stop = el("button", { type: "button", class: "secondary" }, _("Stop for good"));
    stop.addEventListener("click", async () => {
      try { await call("PATCH", `/api/experiments/${e.id}`, { status: "stopped" }); loadExperiments(); }
      catch (err) { say(err.message); }
    });
    li.append(" ", stop);
  }
  try { li.append(liftTable(await call("GET", `/api/experiments/${e.id}/lift`))); }
  catch (err) { li.append(el("p", { class: "muted" }, err.message)); }
  return li;
}

async function loadExperiments() {
  try {
    const list = await call("GET", "/api/experiments");
    $("experiments").replaceChildren(...(list.length ? await Promise.all(list.map(renderExperiment))
      : [el("li", { class: "muted" }, _("No experiment yet."))]));
  } catch (err) { say(err.message); }
}

$("experiment-form")?.addEventListener("submit", async (e) => {
  e.preventDefault();
  try {
    await call("POST", "/api/experiments", { name: $("exp-name").value, kind: $("exp-kind").value, share: $("exp-share").value });
    say(_("Started."));
    $("experiment-form").reset();
    loadExperiments();
  } catch (err) { say(err.message); }
});

loadChannels();
loadFunnel();
loadTrust();
loadDemand();
loadSettings();
loadExperiments();
