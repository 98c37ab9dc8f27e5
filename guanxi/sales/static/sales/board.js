// The pipeline board: drag a card to another column -> htmx POST to the move endpoint (JSON reply).
// Won / lost / invalid drops ask for the reason first. On any error the card snaps back and an alert shows.
(function () {
  "use strict";
  const money = new Intl.NumberFormat(undefined, { minimumFractionDigits: 2, maximumFractionDigits: 2 });

  function alertBox(message, level) {
    const box = document.getElementById("page-alerts");
    if (!box) { return; }
    const div = document.createElement("div");
    div.className = "alert alert-" + (level || "danger") + " alert-dismissible fade show";
    div.setAttribute("role", "alert");
    div.textContent = message;
    const close = document.createElement("button");
    close.type = "button"; close.className = "btn-close"; close.setAttribute("data-bs-dismiss", "alert");
    div.appendChild(close);
    box.replaceChildren(div);
  }

  function totals(section) {
    if (!section) { return; }
    const cards = section.querySelectorAll(".board-card");
    if (section.dataset.kind !== "open") { return; }
    let amount = 0;
    cards.forEach(function (c) { amount += parseFloat(c.dataset.amount || "0"); });
    const prob = parseFloat(section.dataset.probability || "0");
    section.querySelector('[data-total="count"]').textContent = cards.length;
    section.querySelector('[data-total="amount"]').textContent = money.format(amount);
    section.querySelector('[data-total="weighted"]').textContent = money.format(amount * prob / 100);
  }

  function closedZoneAdd(section, card) {
    const count = section.querySelector('[data-total="count"]');
    const amount = section.querySelector('[data-total="amount"]');
    count.textContent = parseInt(count.textContent || "0", 10) + 1;
    const before = parseFloat(amount.textContent.replace(/[^0-9.\-]/g, "")) || 0;
    amount.textContent = money.format(before + parseFloat(card.dataset.amount || "0"));
  }

  function snapBack(evt) {
    const ref = evt.from.children[evt.oldIndex] || null;
    evt.from.insertBefore(evt.item, ref);
    totals(evt.from.closest("section")); totals(evt.to.closest("section"));
  }

  function send(evt, reason) {
    const card = evt.item;
    const to = evt.to.closest("section");
    card.addEventListener("htmx:afterRequest", function handler(e) {
      if (e.detail.elt !== card) { return; }
      card.removeEventListener("htmx:afterRequest", handler);
      const xhr = e.detail.xhr;
      let body = {};
      try { body = JSON.parse(xhr.responseText || "{}"); } catch (err) { body = {}; }
      if (xhr.status === 200) {
        card.dataset.version = body.version;
        if (to.dataset.kind !== "open") { closedZoneAdd(to, card); card.remove(); }
        totals(evt.from.closest("section")); totals(to);
        alertBox(body.detail || "", "success");
        return;
      }
      snapBack(evt);
      const messages = document.getElementById("board-messages").dataset;
      alertBox(body.detail || (xhr.status === 403 ? messages.forbidden : messages.network), xhr.status === 409 ? "warning" : "danger");
    });
    const base = card.closest("#board").dataset.oppBase;
    htmx.ajax("POST", base + card.dataset.id + "/move/", {
      source: card, swap: "none", headers: { Accept: "application/json" },
      values: { stage: to.dataset.stage, version: card.dataset.version, reason: reason || "" },
    });
  }

  function askReason(evt) {
    const kind = evt.to.closest("section").dataset.kind;
    const el = document.getElementById("reason-modal");
    const form = document.getElementById("reason-form");
    const text = document.getElementById("reason-text");
    const label = el.querySelector('label[for="reason-text"]');
    label.textContent = label.dataset["label" + kind.charAt(0).toUpperCase() + kind.slice(1)] || label.textContent;
    text.value = ""; text.classList.remove("is-invalid");
    const modal = window.bootstrap.Modal.getOrCreateInstance(el);
    let done = false;
    function finish(ok) {
      if (done) { return; }
      done = true;
      form.removeEventListener("submit", onSubmit);
      cancel.removeEventListener("click", onCancel);
      modal.hide();
      if (ok) { send(evt, text.value.trim()); } else { snapBack(evt); }
    }
    function onSubmit(e) {
      e.preventDefault();
      if (kind !== "won" && !text.value.trim()) { text.classList.add("is-invalid"); text.focus(); return; }
      finish(true);
    }
    function onCancel() { finish(false); }
    const cancel = form.querySelector('[data-action="cancel"]');
    form.addEventListener("submit", onSubmit);
    cancel.addEventListener("click", onCancel);
    modal.show();
    el.addEventListener("shown.bs.modal", function () { text.focus(); }, { once: true });
  }

  function init(root) {
    const board = root.querySelector ? (root.id === "board" ? root : root.querySelector("#board")) : null;
    if (!board || !window.Sortable || !board.dataset.canMove) { return; }
    board.querySelectorAll(".board-cards").forEach(function (list) {
      const closed = list.closest("section").dataset.kind !== "open";
      window.Sortable.create(list, {
        group: { name: "board", pull: !closed, put: true },
        sort: false, animation: 120, draggable: ".board-card", filter: "a", preventOnFilter: false,
        onAdd: function (evt) {
          totals(evt.to.closest("section")); totals(evt.from.closest("section"));
          if (evt.to.closest("section").dataset.kind === "open") { send(evt, ""); } else { askReason(evt); }
        },
      });
    });
  }

  document.addEventListener("DOMContentLoaded", function () { init(document); });
  document.addEventListener("htmx:afterSettle", function (evt) {
    if (evt.detail.target && evt.detail.target.id === "board-wrap") { init(evt.detail.target); }
  });
})();
