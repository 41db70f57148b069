// The campaigns page: live figures every 5 s and the start/pause/stop buttons. A file of its own,
// not inline: the Content-Security-Policy allows only same-origin scripts.
const recent = (document.getElementById("status") || {dataset: {}}).dataset.recent || "";
// The states in plain Spanish (web/labels.py); a state it does not know is shown as the API sends it.
const STATES = JSON.parse((document.getElementById("status") || {dataset: {}}).dataset.states || "{}");
const stateText = s => STATES[s] || s;
const pct = v => v == null ? "—" : (100 * v).toFixed(1) + " %";
async function refresh() {
  for (const tr of document.querySelectorAll("tr[data-campaign]")) {
    const r = await fetch(`/api/dialer/campaigns/${tr.dataset.campaign}/stats`, {credentials: "same-origin"});
    if (!r.ok) continue;
    const s = await r.json();
    const set = (cls, v) => { const td = tr.querySelector("." + cls); if (td) td.textContent = v ?? "—"; };
    set("dial_level", s.dial_level == null ? null : Number(s.dial_level).toFixed(2));
    set("abandon", `${pct(s.abandon_rate_cumulative)} (${pct(s.abandon_rate_rolling)} ${recent})`);
    set("agents_waiting", s.agents_waiting);
    set("contacts_left", s.contacts_left);
    if (s.state) set("state", stateText(s.state));
  }
}
document.querySelectorAll("button[data-action]").forEach(b => b.addEventListener("click", async () => {
  const id = b.closest("tr").dataset.campaign;
  const r = await fetch(`/api/dialer/campaigns/${id}/${b.dataset.action}`, {method: "POST", credentials: "same-origin"});
  const body = await r.json();
  document.getElementById("status").textContent = r.ok ? `${body.name}: ${stateText(body.state)}` : JSON.stringify(body.detail);
  refresh();
}));
refresh();
setInterval(refresh, 5000);
