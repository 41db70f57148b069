// The A/B page's controls (admins): start, stop and promote through the API, so its role checks and audit
// apply. A field error from the API is shown beside its field; nothing is stored then.
const flow = document.getElementById("ab").dataset.flow;
const status = document.getElementById("ab-status");
const api = `/api/ivr/flows/${encodeURIComponent(flow)}/split`;

function showErrors(body) {
  document.querySelectorAll(".field-error").forEach(e => { e.textContent = ""; });
  const items = Array.isArray(body.detail) ? body.detail : [{loc: [], msg: String(body.detail)}];
  for (const item of items) {
    const field = (item.loc || [])[item.loc.length - 1];
    const slot = document.getElementById(`err-${field}`);
    if (slot) slot.textContent = item.msg; else status.textContent = item.msg;
  }
}

async function call(method, url, data) {
  const r = await fetch(url, {
    method, credentials: "same-origin",
    headers: data ? {"Content-Type": "application/json"} : {},
    body: data ? JSON.stringify(data) : undefined,
  });
  const body = await r.json().catch(() => ({detail: r.statusText}));
  if (r.ok) window.location.reload(); else showErrors(body);
}

const form = document.getElementById("ab-start");
if (form) form.addEventListener("submit", ev => {
  ev.preventDefault();
  const f = new FormData(form);
  call("PUT", api, {version: Number(f.get("version")), share: Number(f.get("share")), by: f.get("by")});
});
for (const [id, method, url] of [["ab-stop", "DELETE", api], ["ab-promote", "POST", `${api}/promote`]]) {
  const button = document.getElementById(id);
  if (button) button.addEventListener("click", () => { if (window.confirm(button.dataset.confirm)) call(method, url); });
}
