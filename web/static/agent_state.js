/* The agent's queue state on /agent: shown from GET /api/agents/{me}/state and then from `agent.state`
   events (agent.js), changed with the same API as any client: POST /api/agents/{me}/login with device
   "web" (the queues then ring this browser phone), /logout, /pause {reason} and /unpause.
   Logging in and becoming ready both need the microphone (phone.js probes it): while it is denied the
   agent stays out of the queues or paused, and the page says why. Shown only once the phone's settings
   arrived (a user without a browser phone sees only why not). window.CentralitaAgent exposes the view. */
(function () {
  "use strict";
  var box = document.getElementById("ag");
  if (!box) return;
  var $ = function (id) { return document.getElementById(id); };
  var T = JSON.parse(box.dataset.text || "{}");
  var STATES = JSON.parse(box.dataset.states || "{}");
  var REASONS = JSON.parse(box.dataset.reasons || "{}");
  var DEVICES = JSON.parse(box.dataset.devices || "{}");
  var agent = box.dataset.agent;
  var view = { state: "unknown", reason: "", device: "", queues: [], wrapupLeft: 0 };
  // The wrap-up countdown runs on this page's own timer from the seconds the server said were left.
  var wrapupEnd = 0, wrapupTimer = null;
  var api = (window.CentralitaAgent = { view: view, busy: false });

  function fmt(key, values) {
    return (T[key] || key).replace(/\{(\w+)\}/g, function (_m, k) { return values && values[k] != null ? values[k] : ""; });
  }
  function micOk() { return !!(window.CentralitaPhone && window.CentralitaPhone.micOk === true); }
  function showError(text) { var el = $("ag-error"); el.textContent = text || ""; el.hidden = !text; }

  function describe() {
    if (view.state === "unknown") return T.unknown;
    if (view.state === "logged_out") return T.logged_out;
    if (view.state === "paused") return fmt("paused", { reason: REASONS[view.reason] || view.reason || "—" });
    return fmt("state", { state: STATES[view.state] || view.state, device: DEVICES[view.device] || view.device || "—" });
  }

  function render() {
    var known = view.state !== "unknown", out = view.state === "logged_out", paused = view.state === "paused";
    var now = $("ag-now");
    now.textContent = describe();
    now.dataset.state = view.state;
    now.dataset.device = view.device || "";
    $("ag-login").hidden = known && !out;
    $("ag-login").disabled = api.busy || !known || !micOk();
    $("ag-ready").hidden = !paused;
    $("ag-ready").disabled = api.busy || !micOk();
    $("ag-logout").hidden = !known || out;
    $("ag-logout").disabled = api.busy;
    $("ag-pause").hidden = !known || out || paused;
    $("ag-pause-go").disabled = api.busy;
    // Why the agent cannot become ready: only when it is the microphone that stops them.
    var phone = window.CentralitaPhone;
    $("ag-mic").hidden = !(phone && phone.micOk === false && (out || paused));
  }

  function countdown() {
    view.wrapupLeft = Math.max(0, Math.ceil((wrapupEnd - performance.now()) / 1000));
    if (!view.wrapupLeft && wrapupTimer) { clearInterval(wrapupTimer); wrapupTimer = null; }
    var left = $("ag-left");
    left.textContent = view.wrapupLeft ? fmt("wrapup", { left: view.wrapupLeft }) : "";
    left.hidden = !view.wrapupLeft;
    left.dataset.left = view.wrapupLeft;
  }

  function take(data) {
    view.state = data.state || "logged_out";
    view.reason = data.reason || "";
    view.device = data.device || "";
    view.queues = data.queues || [];
    if (wrapupTimer) { clearInterval(wrapupTimer); wrapupTimer = null; }
    wrapupEnd = view.state === "wrapup" ? performance.now() + (data.wrapup_s || 0) * 1000 : 0;
    if (wrapupEnd && data.wrapup_s > 0) wrapupTimer = setInterval(countdown, 1000);
    render();
    countdown();
  }

  async function refresh() {
    var res;
    try {
      res = await fetch("/api/agents/" + encodeURIComponent(agent) + "/state", { credentials: "same-origin", cache: "no-store" });
    } catch (e) { showError(T.no_asterisk); return; }
    if (res.ok) { take(await res.json()); return; }
    showError(res.status === 401 ? T.expired : res.status === 503 ? T.no_asterisk : fmt("failed", { s: res.status }));
  }

  // The API's error as one Spanish sentence; its own (English) words stay in data-reason.
  function explain(action, status, body) {
    var d = Array.isArray(body.detail) ? body.detail : [];
    var field = d.length && Array.isArray(d[0].loc) ? d[0].loc[d[0].loc.length - 1] : "";
    $("ag-error").dataset.reason = d.length ? d.map(function (e) { return e.msg; }).join("; ") : String(body.detail || status);
    if (status === 401) return T.expired;
    if (status === 503) return T.no_asterisk;
    if (status === 409 && field === "device") return T.other_device;
    if (status === 409 && action === "login" && /skills/.test($("ag-error").dataset.reason)) return T.no_skills;
    if (status === 409) return "";  // the state changed meanwhile (already paused, logged out): just show it
    return fmt("failed", { s: status });
  }

  async function act(action, body) {
    if (api.busy) return;
    if ((action === "login" || action === "unpause") && !micOk()) { render(); return; }
    api.busy = true;
    showError("");
    render();
    try {
      var res = await fetch("/api/agents/" + encodeURIComponent(agent) + "/" + action, {
        method: "POST",
        credentials: "same-origin",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify(body || {}),
      });
      if (!res.ok) showError(explain(action, res.status, await res.json().catch(function () { return {}; })));
    } catch (e) {
      showError(T.no_asterisk);
    }
    api.busy = false;
    await refresh();
  }

  $("ag-login").addEventListener("click", function () { act("login", { device: "web" }); });
  $("ag-ready").addEventListener("click", function () { act("unpause"); });
  $("ag-logout").addEventListener("click", function () { act("logout"); });
  $("ag-pause").addEventListener("submit", function (e) { e.preventDefault(); act("pause", { reason: $("ag-reason").value }); });

  document.addEventListener("centralita:event", function (e) {
    var ev = e.detail || {};
    if (ev.type === "agent.state" && ev.data && ev.data.agent === agent) take(ev.data);
    else if (ev.type === "state.rebuilt") refresh();
  });
  document.addEventListener("centralita:stream", function (e) { if (e.detail && e.detail.open && !box.hidden) refresh(); });
  document.addEventListener("centralita:mic", render);
  function start() { box.hidden = false; render(); refresh(); }
  if (window.CentralitaPhone && window.CentralitaPhone.ready) start();
  else document.addEventListener("centralita:phone", start, { once: true });
  api.refresh = refresh;
})();
