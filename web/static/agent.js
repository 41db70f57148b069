/* The agent page's screen pop: `agent.screenpop` events (queues/EVENTS.md) from the /api/events
   websocket, opened with this page's session (the stream keeps an agent to their own events). */
(function () {
  "use strict";
  var pop = document.getElementById("pop");
  if (!pop) return;
  var retry = 1;
  function show(d) {
    var ivr = d.ivr || {}, caller = d.caller || {};
    document.getElementById("pop-caller").textContent = (caller.name ? caller.name + " " : "") + (caller.number || "—");
    document.getElementById("pop-queue").textContent = d.queue || "—";
    document.getElementById("pop-digits").textContent = ivr.digits || "—";
    pop.hidden = false;
    window.CentralitaScreenPop = d;
  }
  function open() {
    var ws = new WebSocket((location.protocol === "https:" ? "wss://" : "ws://") + location.host + "/api/events");
    ws.onopen = function () { retry = 1; };
    ws.onmessage = function (m) {
      var ev;
      try { ev = JSON.parse(m.data); } catch (e) { return; }
      if (ev.type === "agent.screenpop") show(ev.data || {});
    };
    ws.onclose = function (e) {
      if (e.code === 4401) return;  // session expired: the phone's status says so
      setTimeout(open, retry * 1000);
      retry = Math.min(retry * 2, 30);
    };
  }
  open();
})();
