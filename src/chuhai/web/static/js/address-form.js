// The ship-to fields of a destination, in its own order, with its required fields and the
// names of its states, prefectures or emirates (GET /api/address-forms/{country}), shared
// by the cart's checkout and the live room's drop checkout. `prefix` keeps ids unique.
import { el } from "./live-client.js";
import { _ } from "./i18n.js";

const LABELS = { street: _("Street and number"), city: _("City"), district: _("District"),
  region: _("State / province"), postal_code: _("Postal code") };
const AUTOCOMPLETE = { street: "street-address", city: "address-level2", region: "address-level1",
  postal_code: "postal-code", district: "address-level3" };

export async function renderAddressFields(box, country, prefix) {
  const resp = await fetch(`/api/address-forms/${country}`, { credentials: "same-origin" });
  const fields = resp.ok ? await resp.json()
    : ["street", "city", "postal_code"].map((name) => ({ name, required: true, choices: [] }));
  box.replaceChildren(...fields.flatMap((f) => {
    const id = `${prefix}-${f.name}`;
    const input = f.choices.length
      ? el("select", { id, name: f.name, required: f.required, autocomplete: AUTOCOMPLETE[f.name] },
        el("option", { value: "" }, "—"),
        ...f.choices.map(([v, n]) => el("option", { value: v }, v === n ? v : `${v} (${n})`)))
      : el("input", { id, name: f.name, required: f.required, autocomplete: AUTOCOMPLETE[f.name],
        maxlength: f.name === "postal_code" ? 20 : 200 });
    return [el("label", { for: id }, f.required ? LABELS[f.name] : _("%(field)s (optional)", { field: LABELS[f.name] })), input,
      el("p", { class: "error", id: `${id}-error` })];
  }));
  const saved = JSON.parse(localStorage.getItem(`chuhai-ship-${country}`) || "{}");
  for (const [k, v] of Object.entries(saved)) {
    const i = document.getElementById(`${prefix}-${k}`);
    if (i && !i.value) i.value = v;
  }
}

// The form's ship-to fields (every named input) for `country`, remembered for next time.
export function readAddress(form, country) {
  const ship = { country };
  for (const i of form.querySelectorAll("[name]")) ship[i.name] = i.value;
  localStorage.setItem(`chuhai-ship-${country}`, JSON.stringify(ship));
  return ship;
}

// Put each field's reason (422 invalid_address) under its field.
export function showAddressErrors(form, prefix, err) {
  for (const p of form.querySelectorAll(".error")) p.textContent = "";
  for (const p of err.data?.errors || []) {
    const out = document.getElementById(`${prefix}-${p.field.replace("ship_to.", "")}-error`);
    if (out) out.textContent = p.reason;
  }
}
