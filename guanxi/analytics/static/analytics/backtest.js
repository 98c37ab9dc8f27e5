// Back-test result charts: the options come from json_script elements (never inline data).
(function () {
  "use strict";
  function draw() {
    if (!window.echarts) { return; }
    document.querySelectorAll(".backtest-chart[data-options]").forEach(function (el) {
      const source = document.getElementById(el.dataset.options);
      if (!source) { return; }
      const existing = window.echarts.getInstanceByDom(el);
      if (existing) { existing.dispose(); }
      const chart = window.echarts.init(el);
      chart.setOption(JSON.parse(source.textContent));
      window.addEventListener("resize", function () { chart.resize(); });
    });
  }
  document.addEventListener("DOMContentLoaded", draw);
  document.addEventListener("htmx:afterSettle", draw);
})();
