// The staffing page: save the shown week plan through the API, and draw forecast vs actual.
// A file of its own, not inline: the Content-Security-Policy allows only same-origin scripts.
(function () {
  // Data come in data-* attributes (JSON): the policy refuses every <script> without src, data blocks too.
  const save = document.getElementById("save-plan");
  const params = save ? JSON.parse(save.dataset.params) : null;
  if (save && params) {
    save.addEventListener("click", async () => {
      const status = document.getElementById("save-status");
      const r = await fetch("/api/reports/staffing/plans", {
        method: "POST", credentials: "same-origin",
        headers: {"Content-Type": "application/json"}, body: JSON.stringify(params),
      });
      const body = await r.json().catch(() => ({}));
      status.textContent = r.ok ? `${status.dataset.saved} (#${body.id})`
        : `${status.dataset.failed}: ${(body.detail || []).map(d => d.msg || d).join("; ")}`;
    });
  }
  const canvas = document.getElementById("accuracy-chart");
  const days = canvas ? JSON.parse(canvas.dataset.days) : null;
  if (!days || !canvas || typeof Chart === "undefined") { if (canvas) canvas.hidden = true; return; }
  const names = document.getElementById("accuracy-labels").dataset;
  const rows = days.flatMap(d => d.intervals);
  const labels = rows.map(r => r.start.slice(5, 16).replace("T", " "));
  new Chart(canvas, {
    type: "line",
    data: {
      labels,
      datasets: [
        {label: names.actual, data: rows.map(r => r.actual), borderColor: "#1f2933", borderWidth: 1, pointRadius: 0},
        {label: names.hw, data: rows.map(r => r.holt_winters), borderColor: "#0b6e4f", borderWidth: 2, pointRadius: 0},
        {label: names.sa, data: rows.map(r => r.seasonal_average), borderColor: "#d97706", borderWidth: 1.5,
         borderDash: [4, 3], pointRadius: 0},
      ],
    },
    options: {animation: false, maintainAspectRatio: false, interaction: {mode: "index", intersect: false},
      scales: {x: {ticks: {maxTicksLimit: 8}}, y: {beginAtZero: true}}},
  });
})();
