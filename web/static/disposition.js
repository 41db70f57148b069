/* The disposition of a queue call on /agent: the screen pop (agent.js) names the call (`linkedid`); once
   the browser phone answered it, the form offers the result codes (CENTRALITA_CALL_DISPOSITIONS) and a
   note, kept open after the hang-up until saved or the next call is answered. It posts to
   POST /api/calls/{linkedid}/disposition, which stores it only for an agent who was on that call.
   window.CentralitaDisposition exposes { linkedid, saved } for tests. */
(function () {
  "use strict";
  var box = document.getElementById("disp");
  if (!box) return;
  var $ = function (id) { return document.getElementById(id); };
  var T = JSON.parse(box.dataset.text || "{}");
  var pending = null;  // the call now ringing (from its screen pop)
  var api = (window.CentralitaDisposition = { linkedid: "", saved: "" });

  function fmt(key, value) { return (T[key] || key).replace("{s}", value == null ? "" : value); }
  function showError(text) { var el = $("disp-error"); el.textContent = text || ""; el.hidden = !text; }

  function offer(call) {
    api.linkedid = call.linkedid;
    api.saved = "";
    $("disp-call").textContent = fmt("call", call.caller || "—");
    $("disp-code").selectedIndex = 0;
    $("disp-note").value = "";
    $("disp-form").hidden = false;
    $("disp-save").disabled = false;
    $("disp-done").hidden = true;
    showError("");
    box.hidden = false;
  }

  document.addEventListener("centralita:event", function (e) {
    var ev = e.detail || {};
    if (ev.type !== "agent.screenpop" || !ev.data || !ev.data.linkedid) return;
    pending = { linkedid: ev.data.linkedid, caller: (ev.data.caller || {}).number || "" };
  });
  document.addEventListener("centralita:call", function (e) {
    var state = e.detail && e.detail.state;
    if (state === "talking" && pending && pending.linkedid !== api.linkedid) offer(pending);
    // The call ended and its result is still to give: the keyboard goes to the form (the hang-up button
    // it was on is disabled now), which also scrolls it into view on a phone's screen.
    var lost = !document.activeElement || document.activeElement === document.body || document.activeElement.disabled;
    if (state === "idle" && api.linkedid && !api.saved && !$("disp-form").hidden && lost) $("disp-code").focus();
  });

  // A call that just ended may not be on record for a moment yet (404): tried again twice, 2 s apart.
  async function save(attempt) {
    var code = $("disp-code").value;
    var res;
    try {
      res = await fetch("/api/calls/" + encodeURIComponent(api.linkedid) + "/disposition", {
        method: "POST",
        credentials: "same-origin",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ code: code, note: $("disp-note").value }),
      });
    } catch (err) { $("disp-save").disabled = false; showError(T.offline); return; }
    if (res.status === 201 || res.status === 409) {
      api.saved = code;
      $("disp-form").hidden = true;
      $("disp-done").textContent = res.status === 201 ? fmt("saved", $("disp-code").selectedOptions[0].textContent) : T.already;
      $("disp-done").hidden = false;
      return;
    }
    if (res.status === 404 && attempt < 2) { setTimeout(function () { save(attempt + 1); }, 2000); return; }
    $("disp-save").disabled = false;
    var body = await res.json().catch(function () { return {}; });
    var d = Array.isArray(body.detail) ? body.detail : [];
    $("disp-error").dataset.reason = d.length ? d.map(function (x) { return x.msg; }).join("; ") : String(body.detail || res.status);
    if (res.status === 401) showError(T.expired);
    else if (res.status === 403) showError(T.not_yours);
    else if (res.status === 404) showError(T.not_yet);
    else if (res.status === 422) showError(fmt("bad", $("disp-error").dataset.reason));
    else showError(fmt("failed", res.status));
  }

  $("disp-form").addEventListener("submit", function (e) {
    e.preventDefault();
    if (!api.linkedid || $("disp-save").disabled) return;
    $("disp-save").disabled = true;
    showError("");
    save(0);
  });
})();
