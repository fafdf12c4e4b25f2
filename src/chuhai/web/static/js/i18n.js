// The page's words for its scripts: the same gettext catalogs as the templates, served with
// each buyer page as a JSON data block (#i18n-catalog). `_("Held for you: %(left)s",
// { left })` — an untranslated message (or an English page) shows the English text.
const block = document.getElementById("i18n-catalog");
let catalog = {};
try { catalog = block ? JSON.parse(block.textContent || "{}") : {}; } catch (_e) { catalog = {}; }

export function _(message, params = {}) {
  const text = catalog[message] || message;
  return text.replace(/%\((\w+)\)s/g, (whole, name) => (name in params ? String(params[name]) : whole));
}

// Numbers in the page's locale (quantities, countdowns).
const locale = (document.documentElement.lang || "en").replace("_", "-");
export function num(n) {
  try { return new Intl.NumberFormat(locale).format(n); } catch (_e) { return String(n); }
}
