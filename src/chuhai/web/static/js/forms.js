// Form behaviour the console's templates ask for with data attributes, since the site's
// Content-Security-Policy runs no inline handlers (onsubmit=, onchange=):
//   <form data-confirm="Delete this product?">  asks first; Cancel keeps the form unsent.
//   <select data-autosubmit>                      submits its form when the choice changes.
// The text stays in the template, so it is translated with the page.
document.addEventListener("submit", (ev) => {
  const form = ev.target instanceof HTMLFormElement ? ev.target : null;
  if (form && form.dataset.confirm !== undefined && !window.confirm(form.dataset.confirm)) {
    ev.preventDefault();
    ev.stopImmediatePropagation();
  }
}, true);

document.addEventListener("change", (ev) => {
  const field = ev.target;
  if (field instanceof HTMLElement && field.hasAttribute("data-autosubmit") && field.form) {
    field.form.requestSubmit();
  }
});
