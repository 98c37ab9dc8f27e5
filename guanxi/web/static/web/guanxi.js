// Small glue for htmx: show server validation errors returned as 422 fragments instead of dropping them.
document.addEventListener("htmx:beforeSwap", function (evt) {
  if (evt.detail.xhr.status === 422 || evt.detail.xhr.status === 409) {
    evt.detail.shouldSwap = true;
    evt.detail.isError = false;
  }
});

// Close the open modal once the server says the record was saved (contact form).
document.addEventListener("DOMContentLoaded", function () {
  document.body.addEventListener("contact-saved", closeModals);
  document.body.addEventListener("record-saved", closeModals);
  document.body.addEventListener("order-saved", function () {
    const form = document.getElementById("order-form");
    if (form) { form.reset(); }
  });
});
function closeModals() {
  document.querySelectorAll(".modal.show").forEach(function (el) {
    const modal = window.bootstrap && window.bootstrap.Modal.getInstance(el);
    if (modal) { modal.hide(); }
  });
}

// Filter forms marked data-drop-empty: leave empty fields out of the request, so the pushed URL stays
// short (/customers/?q=zs rather than /customers/?q=zs&kind=&lifecycle=&...).
document.addEventListener("htmx:configRequest", function (evt) {
  const form = evt.detail.elt && evt.detail.elt.closest && evt.detail.elt.closest("form[data-drop-empty]");
  if (!form || evt.detail.verb !== "get") { return; }
  const params = evt.detail.parameters;
  const names = params instanceof FormData ? Array.from(new Set(params.keys())) : Object.keys(params);
  names.forEach(function (name) {
    const value = params instanceof FormData ? params.getAll(name) : [].concat(params[name]);
    if (value.every(function (v) { return v === "" || v === null || v === undefined; })) {
      if (params instanceof FormData) { params.delete(name); } else { delete params[name]; }
    }
  });
});

// Without JavaScript the filter form still works; with it, drop empty fields from a plain submit too.
document.addEventListener("submit", function (evt) {
  const form = evt.target;
  if (!form.matches || !form.matches("form[data-drop-empty]") || form.method.toLowerCase() !== "get") { return; }
  form.querySelectorAll("input[name], select[name]").forEach(function (el) {
    if (el.value === "") { el.disabled = true; setTimeout(function () { el.disabled = false; }, 0); }
  });
}, true);
