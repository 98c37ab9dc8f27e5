// ECharts of the report pages (service report, customer value): options come from the json_script element
// "report-charts" ({element id: options}); every chart follows its container's width (phones, sidebar,
// rotation) and is redrawn after an htmx swap of the results.
(function () {
  "use strict";
  const drawn = [];
  function clear() {
    while (drawn.length) {
      const d = drawn.pop();
      if (d.observer) { d.observer.disconnect(); }
      d.chart.dispose();
    }
  }
  function draw() {
    const source = document.getElementById("report-charts");
    if (!source || !window.echarts) { return; }
    const options = JSON.parse(source.textContent);
    clear();
    Object.keys(options).forEach(function (id) {
      const el = document.getElementById(id);
      if (!el) { return; }
      const existing = window.echarts.getInstanceByDom(el);
      if (existing) { existing.dispose(); }
      const chart = window.echarts.init(el);
      chart.setOption(options[id]);
      const observer = window.ResizeObserver ? new ResizeObserver(function () { chart.resize(); }) : null;
      if (observer) { observer.observe(el); }
      drawn.push({ chart: chart, observer: observer });
    });
  }
  window.addEventListener("resize", function () { drawn.forEach(function (d) { d.chart.resize(); }); });
  document.addEventListener("DOMContentLoaded", draw);
  document.addEventListener("htmx:afterSettle", draw);
})();
