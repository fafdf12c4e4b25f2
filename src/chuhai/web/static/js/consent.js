// The consent banner and the privacy-settings page. Both read /api/privacy/consent (the
// person's state, with the words in their language) and write choices back to it; the
// server decides what each choice means under the person's law.
const CSRF = () => document.querySelector("[data-csrf]")?.dataset.csrf || "";

function fill(template, values) {
  return template.replace(/\{(\w+)\}/g, (m, k) => (k in values ? String(values[k]) : m));
}

async function send(body) {
  const res = await fetch("/api/privacy/consent", {
    method: "POST", credentials: "same-origin",
    headers: {"content-type": "application/json", "x-csrf-token": CSRF()},
    body: JSON.stringify(body),
  });
  const data = await res.json();
  if (!res.ok) throw new Error(data.detail || data.title || "error");
  return data;
}

const OPTIONAL = ["analytics", "personalization", "marketing", "sale_share", "transfer"];

export async function banner(root, market, lang) {
  const q = new URLSearchParams({market, lang});
  const res = await fetch(`/api/privacy/consent?${q}`, {credentials: "same-origin"});
  if (!res.ok) return;
  const state = await res.json();
  root.dataset.consent = state.decided ? "decided" : "asked";  // for tests and styles
  if (state.decided) return;
  const t = state.text;
  const box = document.createElement("section");
  box.className = "consent-banner card";
  box.setAttribute("role", "dialog");
  box.setAttribute("aria-labelledby", "consent-title");
  box.lang = state.lang;
  if (state.lang === "ar") box.dir = "rtl";
  const h = document.createElement("h2");
  h.id = "consent-title";
  h.textContent = t.banner_title;
  const p = document.createElement("p");
  p.textContent = t.banner_body;
  box.append(h, p);
  let ageBox = null;
  if (state.ask_age) {
    const label = document.createElement("label");
    label.className = "check";
    ageBox = document.createElement("input");
    ageBox.type = "checkbox";
    ageBox.id = "consent-age";
    label.append(ageBox, " ", fill(t.age_question, {age: state.ask_age}));
    box.append(label);
  }
  const row = document.createElement("div");
  row.className = "row";
  const choose = (all) => async () => {
    const choices = {};
    for (const purpose of OPTIONAL) {
      if (state.purposes[purpose]?.can_change) choices[purpose] = all;
    }
    const body = {market, choices, source: "banner"};
    if (ageBox) body.age = ageBox.checked ? state.ask_age : state.ask_age - 1;
    try {
      await send(body);
      box.remove();
    } catch (err) {
      p.textContent = String(err.message || err);
    }
  };
  const accept = document.createElement("button");
  accept.textContent = t.accept_all;
  accept.addEventListener("click", choose(true));
  const reject = document.createElement("button");
  reject.textContent = t.reject_all;
  reject.addEventListener("click", choose(false));
  const more = document.createElement("a");
  more.href = `/privacy?${q}`;
  more.className = "button secondary";
  more.textContent = t.customize;
  row.append(accept, reject, more);  // accept and reject look the same: no nudging
  box.append(row);
  root.prepend(box);
}

export function settings(form) {
  const market = form.dataset.market;
  const status = form.querySelector("#privacy-status");
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const choices = {};
    for (const input of form.querySelectorAll("input[data-purpose]:not(:disabled)")) {
      choices[input.dataset.purpose] = input.checked;
    }
    const body = {market, choices, source: "settings"};
    const age = form.querySelector("#privacy-age");
    if (age && age.checked) body.age = Number(age.value);  // the banner asks both ways
    try {
      await send(body);
      status.textContent = form.dataset.saved;
      status.className = "ok";
    } catch (err) {
      status.textContent = String(err.message || err);
      status.className = "error";
    }
  });
  for (const btn of document.querySelectorAll("button[data-request]")) {
    btn.addEventListener("click", async () => {
      const out = document.querySelector("#request-status");
      const res = await fetch("/api/privacy/requests", {
        method: "POST", credentials: "same-origin",
        headers: {"content-type": "application/json", "x-csrf-token": CSRF()},
        body: JSON.stringify({kind: btn.dataset.request}),
      });
      const data = await res.json();
      out.textContent = res.ok
        ? fill(out.dataset.sent, {id: data.id, due: data.due_at.slice(0, 10)})
        : (data.detail || data.title);
    });
  }
}
