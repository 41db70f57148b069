// The reports chart: offered / answered / abandoned bars and the service level line, from the rows the
// server rendered into data-chart (no inline script: the Content-Security-Policy forbids it).
"use strict";
(() => {
  const canvas = document.getElementById("chart");
  if (!canvas || typeof Chart === "undefined") return;
  const data = JSON.parse(canvas.dataset.chart || "{}");
  const names = JSON.parse(canvas.dataset.names || "{}");
  const colours = {offered: "#9aa5b1", answered: "#0b6e4f", abandoned: "#b42318"};
  const datasets = (data.series || []).map(([key, values]) => ({
    type: "bar", label: names[key] || key, data: values, backgroundColor: colours[key], yAxisID: "y",
  }));
  datasets.push({
    type: "line", label: names.sl || "SL", yAxisID: "sl", borderColor: "#2563eb", backgroundColor: "#2563eb",
    data: (data.sl || []).map(v => v == null ? null : Math.round(1000 * v) / 10), spanGaps: true,
  });
  new Chart(canvas, {
    data: {labels: data.labels || [], datasets},
    options: {
      responsive: true, maintainAspectRatio: false, animation: false,
      interaction: {mode: "index", intersect: false},
      scales: {
        y: {beginAtZero: true, ticks: {precision: 0}},
        sl: {position: "right", min: 0, max: 100, grid: {drawOnChartArea: false}, ticks: {callback: v => `${v} %`}},
      },
    },
  });
})();
