// Settings › Pipelines: drag stages to reorder; the new order is posted (htmx) and the page reloads.
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", function () {
    const list = document.getElementById("stage-list");
    if (!list || !window.Sortable) { return; }
    window.Sortable.create(list, {
      handle: ".stage-handle", animation: 120,
      onEnd: function () {
        const ids = Array.from(list.querySelectorAll(":scope > [data-stage]")).map(function (li) { return li.dataset.stage; });
        htmx.ajax("POST", list.dataset.reorderUrl, { source: list, swap: "none", values: { stage: ids } })
          .then(function () { window.location.reload(); });
      },
    });
  });
})();
