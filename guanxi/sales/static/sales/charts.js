// ECharts for the sales pages: options come from a json_script element (never inline data).
(function () {
  "use strict";
  function draw() {
    const source = document.getElementById("funnel-options");
    const el = document.getElementById("funnel-chart");
    if (!source || !el || !window.echarts) { return; }
    const options = JSON.parse(source.textContent);
    const series = options.series && options.series[0];
    if (series) {
      series.label = series.label || {};
      series.label.formatter = function (p) {
        const pct = p.data.conversion;
        return p.name + "  " + p.value + (pct === null || pct === undefined ? "" : "  (" + pct + "%)");
      };
    }
    const existing = window.echarts.getInstanceByDom(el);
    if (existing) { existing.dispose(); }
    const chart = window.echarts.init(el);
    chart.setOption(options);
    window.addEventListener("resize", function () { chart.resize(); });
  }
  document.addEventListener("DOMContentLoaded", draw);
  document.addEventListener("htmx:afterSettle", draw);
})();
