/* The agent page's event stream: the /api/events websocket, opened with this page's session (the stream
   keeps an agent to their own events). Shows the screen pop (`agent.screenpop`, queues/EVENTS.md) and
   hands every event to the page's other scripts as a `centralita:event` DOM event on `document`
   (detail: the event); `centralita:stream` (detail.open) says when the stream (re)opened, so they can
   read what they may have missed. */
(function () {
  "use strict";
  var pop = document.getElementById("pop");
  if (!pop) return;
  var retry = 1;
  function tell(name, detail) { document.dispatchEvent(new CustomEvent("centralita:" + name, { detail: detail })); }
  function show(d) {
    var ivr = d.ivr || {}, caller = d.caller || {};
    // the name, then the number unless the name already carries it ("Caller 5550101")
    var name = caller.name && caller.name !== caller.number ? caller.name : "";
    var number = caller.number && name.indexOf(caller.number) === -1 ? caller.number : "";
    document.getElementById("pop-caller").textContent = [name, number].filter(Boolean).join(" · ") || "—";
    document.getElementById("pop-queue").textContent = d.queue || "—";
    document.getElementById("pop-digits").textContent = ivr.digits || "—";
    pop.hidden = false;
    window.CentralitaScreenPop = d;
  }
  function open() {
    var ws = new WebSocket((location.protocol === "https:" ? "wss://" : "ws://") + location.host + "/api/events");
    ws.onopen = function () { retry = 1; tell("stream", { open: true }); };
    ws.onmessage = function (m) {
      var ev;
      try { ev = JSON.parse(m.data); } catch (e) { return; }
      if (ev.type === "agent.screenpop") show(ev.data || {});
      tell("event", ev);
    };
    ws.onclose = function (e) {
      tell("stream", { open: false });
      if (e.code === 4401) return;  // session expired: the phone's status says so
      setTimeout(open, retry * 1000);
      retry = Math.min(retry * 2, 30);
    };
  }
  open();
})();
