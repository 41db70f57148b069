/* Centralita browser phone (issue 12): JsSIP (web/static/vendor/jssip.min.js) registered with the
   credentials of GET /api/agents/me/phone over the same-origin SIP websocket /api/phone/ws.
   No build step. The page (/agent) gives the elements; window.CentralitaPhone exposes the state for
   tests and for other scripts of the page, which also get DOM events on `document`:
   centralita:phone (the phone's settings arrived: the user has a browser phone), centralita:mic
   (detail.ok: the microphone may be used) and centralita:call (detail.state: idle, ringing, calling,
   talking, held). Spanish texts come from data-text. */
(function () {
  "use strict";
  var root = document.getElementById("phone");
  if (!root || !window.JsSIP) return;
  var T = JSON.parse(root.dataset.text || "{}");
  var $ = function (id) { return document.getElementById(id); };
  var params = new URLSearchParams(location.search);
  // ?audio=raw: no echo cancellation, noise suppression or gain control (tone tests; a steady tone is
  // "noise"). ?ice=loopback: only 127.0.0.1 candidates both ways (tests keep media on loopback).
  var rawAudio = params.get("audio") === "raw";
  var iceLoopback = params.get("ice") === "loopback";
  var api = (window.CentralitaPhone = { state: "init", registered: false, call: null, remoteStream: null, events: [] });
  var ua = null, session = null, ring = null, audioCtx = null, config = null;

  function log(kind, detail) { api.events.push({ kind: kind, detail: detail || "", at: Date.now() }); }
  function tell(name, detail) { document.dispatchEvent(new CustomEvent("centralita:" + name, { detail: detail })); }
  function fmt(key, value) { return (T[key] || key).replace("{s}", value == null ? "" : value); }

  function setConn(state, text) {
    api.state = state;
    var el = $("ph-conn");
    el.dataset.state = state;
    el.textContent = text;
    log("conn", state);
  }
  function setCall(state, text) {
    root.dataset.call = state;
    $("ph-call").textContent = text || "";
    var inCall = state === "ringing" || state === "calling" || state === "talking" || state === "held";
    $("ph-answer").hidden = state !== "ringing";
    $("ph-hangup").disabled = !inCall;
    ["ph-hold", "ph-mute", "ph-transfer-go"].forEach(function (id) { $(id).disabled = !(state === "talking" || state === "held"); });
    document.querySelectorAll("#ph-keypad button").forEach(function (b) { b.disabled = !(state === "talking"); });
    log("call", state);
    api.callState = state;
    tell("call", { state: state });
  }
  // Two sources of messages (the microphone, the registration): one clears only its own.
  var errorKind = "";
  function showError(text, kind) {
    kind = kind || "sip";
    if (!text && errorKind && errorKind !== kind) return;
    var el = $("ph-error"); el.textContent = text || ""; el.hidden = !text; errorKind = text ? kind : "";
  }

  // Ringing: the Spanish ring tone (425 Hz, 1.5 s on, 3 s off) from WebAudio, nothing to download.
  function startRing() {
    stopRing();
    try {
      audioCtx = audioCtx || new (window.AudioContext || window.webkitAudioContext)();
      var on = true, osc = null;
      var beat = function () {
        if (osc) { osc.stop(); osc = null; }
        if (on) {
          osc = audioCtx.createOscillator();
          var gain = audioCtx.createGain();
          gain.gain.value = 0.15;
          osc.frequency.value = 425;
          osc.connect(gain).connect(audioCtx.destination);
          osc.start();
        }
        ring.timer = setTimeout(beat, on ? 1500 : 3000);
        on = !on;
      };
      ring = { timer: null, stop: function () { if (osc) osc.stop(); } };
      beat();
    } catch (e) { ring = null; }
  }
  function stopRing() { if (ring) { clearTimeout(ring.timer); ring.stop(); ring = null; } }

  function audioConstraints() {
    var c = {};
    var dev = $("ph-mic").value;
    if (dev) c.deviceId = { exact: dev };
    if (rawAudio) { c.echoCancellation = false; c.noiseSuppression = false; c.autoGainControl = false; }
    return Object.keys(c).length ? c : true;
  }

  function micError(err) {
    var name = (err && err.name) || String(err || "");
    if (/NotAllowed|Permission|Security|USER_DENIED_MEDIA_ACCESS|User Denied Media Access/i.test(name + " " + (err && err.message)))
      return T.mic_denied;
    if (/NotFound|DevicesNotFound|Overconstrained/i.test(name)) return T.mic_missing;
    return fmt("mic_failed", name);
  }

  async function listMics() {
    try {
      var probe = await navigator.mediaDevices.getUserMedia({ audio: true });
      probe.getTracks().forEach(function (t) { t.stop(); });
      api.micOk = true;
      showError("", "mic");
      tell("mic", { ok: true });
    } catch (err) {
      showError(micError(err), "mic");
      api.micOk = false;
      log("mic", "denied");
      tell("mic", { ok: false });
      return;
    }
    var sel = $("ph-mic"), keep = localStorage.getItem("centralita.mic") || sel.value;
    var devices = await navigator.mediaDevices.enumerateDevices();
    sel.innerHTML = "";
    var def = document.createElement("option");
    def.value = ""; def.textContent = T.mic_default; sel.appendChild(def);
    devices.filter(function (d) { return d.kind === "audioinput" && d.deviceId && d.deviceId !== "default"; }).forEach(function (d, i) {
      var o = document.createElement("option");
      o.value = d.deviceId; o.textContent = d.label || fmt("mic_n", i + 1);
      if (d.deviceId === keep) o.selected = true;
      sel.appendChild(o);
    });
  }

  function attachRemote(pc) {
    var play = function (stream) {
      api.remoteStream = stream;
      var el = $("ph-remote");
      if (el.srcObject !== stream) { el.srcObject = stream; el.play().catch(function () {}); }
    };
    pc.getReceivers().forEach(function (r) { if (r.track) play(new MediaStream([r.track])); });
    pc.addEventListener("track", function (ev) { play(ev.streams[0] || new MediaStream([ev.track])); });
  }

  function loopbackOnly(sdp) {
    return sdp.split(/\r\n/).filter(function (line) {
      return !/^a=candidate:/.test(line) || line.split(" ")[4] === "127.0.0.1";
    }).map(function (line) { return /^c=IN IP4 /.test(line) ? "c=IN IP4 127.0.0.1" : line; }).join("\r\n");
  }

  function caller(s) {
    var id = s.remote_identity;
    var name = id.display_name || "";
    var num = id.uri ? id.uri.user : "";
    return name && name !== num ? name + " <" + num + ">" : num || T.unknown;
  }

  function onSession(ev) {
    var s = ev.session;
    if (session && session !== s) {  // one call at a time: a second one is refused busy
      if (ev.originator === "remote") s.terminate({ status_code: 486, reason_phrase: "Busy Here" });
      return;
    }
    session = api.call = s;
    var who = caller(s);
    api.callerId = who;
    if (iceLoopback) s.on("sdp", function (e) { e.sdp = loopbackOnly(e.sdp); });
    if (s.connection) attachRemote(s.connection);
    s.on("peerconnection", function (e) { attachRemote(e.peerconnection); });
    s.on("progress", function () { if (ev.originator === "local") setCall("calling", fmt("calling", who)); });
    s.on("accepted", function () { stopRing(); setCall("talking", fmt("talking", who)); });
    s.on("confirmed", function () { stopRing(); setCall("talking", fmt("talking", who)); });
    s.on("hold", function () { setCall("held", fmt("held", who)); $("ph-hold").textContent = T.resume; });
    s.on("unhold", function () { setCall("talking", fmt("talking", who)); $("ph-hold").textContent = T.hold; });
    s.on("muted", function () { $("ph-mute").textContent = T.unmute; $("ph-mute").setAttribute("aria-pressed", "true"); });
    s.on("unmuted", function () { $("ph-mute").textContent = T.mute; $("ph-mute").setAttribute("aria-pressed", "false"); });
    var end = function (e) {
      stopRing();
      if (session === s) { session = api.call = null; api.remoteStream = null; }
      $("ph-hold").textContent = T.hold; $("ph-mute").textContent = T.mute;
      var cause = e && e.cause;
      if (cause === JsSIP.C.causes.USER_DENIED_MEDIA_ACCESS) showError(T.mic_denied, "mic");
      setCall("idle", cause && cause !== JsSIP.C.causes.BYE && cause !== JsSIP.C.causes.CANCELED ? fmt("ended_cause", cause) : T.ended);
    };
    s.on("ended", end);
    s.on("failed", end);
    if (ev.originator === "remote") {
      setCall("ringing", fmt("ringing", who));
      document.dispatchEvent(new CustomEvent("centralita:ringing", { detail: { caller: who } }));
      if ($("ph-auto").checked) setTimeout(answer, 300);
      else startRing();
    }
  }

  function answer() {
    if (!session || session.isEstablished()) return;
    stopRing();
    session.answer({
      mediaConstraints: { audio: audioConstraints(), video: false },
      pcConfig: { iceServers: (config && config.ice_servers) || [] },
    });
  }
  function hangup() { if (session) session.terminate(); }
  function toggleHold() { if (!session) return; if (session.isOnHold().local) session.unhold(); else session.hold(); }
  function toggleMute() { if (!session) return; if (session.isMuted().audio) session.unmute({ audio: true }); else session.mute({ audio: true }); }
  function dtmf(key) { if (session && session.isEstablished()) { session.sendDTMF(key, { transportType: "RFC2833" }); log("dtmf", key); } }
  function transfer(target) {
    target = (target || "").trim();
    if (!session || !/^[0-9*#+]{1,20}$/.test(target)) { showError(T.transfer_bad); return; }
    showError("");
    session.refer("sip:" + target + "@" + config.sip_uri.split("@")[1], {
      eventHandlers: {
        accepted: function () { setCall(root.dataset.call, fmt("transferred", target)); },
        failed: function () { showError(fmt("transfer_failed", target)); },
      },
    });
  }

  function startUa() {
    var socket = new JsSIP.WebSocketInterface(config.ws_url);
    ua = new JsSIP.UA({
      sockets: [socket],
      uri: config.sip_uri,
      authorization_user: config.username,
      password: config.password,
      display_name: config.display_name,
      register: true,
      register_expires: 120,
      session_timers: false,
      connection_recovery_min_interval: 2,
      connection_recovery_max_interval: 8,
      user_agent: "Centralita browser phone",
    });
    ua.on("connecting", function () { if (!api.registered) setConn("connecting", T.connecting); });
    ua.on("connected", function () { setConn("connected", T.registering); });
    ua.on("disconnected", function () { api.registered = false; setConn("reconnecting", T.reconnecting); });
    ua.on("registered", function () { api.registered = true; showError(""); setConn("registered", T.registered); });
    ua.on("unregistered", function () { api.registered = false; setConn("unregistered", T.unregistered); });
    ua.on("registrationFailed", function (e) {
      api.registered = false;
      var code = e.response ? e.response.status_code : 0;
      if (e.cause === JsSIP.C.causes.AUTHENTICATION_ERROR || code === 401 || code === 407) {
        setConn("failed", T.bad_credentials); showError(T.bad_credentials);
      } else if (code === 403) {
        setConn("failed", T.other_phone); showError(T.other_phone);
      } else setConn("failed", fmt("reg_failed", e.cause || code));
      // JsSIP retries the connection by itself; a refused registration is retried here after a pause.
      setTimeout(function () { if (ua && !api.registered && ua.isConnected()) ua.register(); }, 15000);
    });
    ua.on("newRTCSession", onSession);
    ua.start();
  }

  function boot() {
    setCall("idle", T.idle);
    setConn("connecting", T.loading);
    $("ph-auto").checked = localStorage.getItem("centralita.autoanswer") === "1";
    $("ph-auto").addEventListener("change", function () { localStorage.setItem("centralita.autoanswer", this.checked ? "1" : "0"); });
    $("ph-mic").addEventListener("change", function () { localStorage.setItem("centralita.mic", this.value); });
    $("ph-answer").addEventListener("click", answer);
    $("ph-hangup").addEventListener("click", hangup);
    $("ph-hold").addEventListener("click", toggleHold);
    $("ph-mute").addEventListener("click", toggleMute);
    document.querySelectorAll("#ph-keypad button").forEach(function (b) { b.addEventListener("click", function () { dtmf(b.dataset.key); }); });
    $("ph-transfer").addEventListener("submit", function (e) { e.preventDefault(); transfer($("ph-target").value); });
    document.addEventListener("keydown", function (e) {
      if (e.target && /INPUT|SELECT|TEXTAREA/.test(e.target.tagName)) return;
      if (/^[0-9*#]$/.test(e.key) && session && session.isEstablished()) dtmf(e.key);
    });
    load();
  }
  // The phone's settings; retried (not the page's wiring) while the server cannot be reached.
  async function load() {
    var res;
    try {
      res = await fetch("/api/agents/me/phone", { credentials: "same-origin", cache: "no-store" });
    } catch (e) { setConn("failed", T.no_server); setTimeout(load, 5000); return; }
    if (res.status === 401) { setConn("failed", T.expired); return; }
    if (!res.ok) { noPhone(res.status, await res.json().catch(function () { return {}; })); return; }
    config = await res.json();
    api.username = config.username;
    api.agent = config.display_name;
    $("ph-me").textContent = fmt("me", config.extension);
    api.ready = true;
    tell("phone", { agent: config.display_name });
    // Only a user with a phone is asked for the microphone: without one the page says why, nothing else.
    listMics();
    startUa();
  }
  // No phone for this user: a Spanish sentence by the field the API names (phone/service.py: "agent" = no
  // endpoint, "phone" = WebRTC turned off); the API's own (English) reason stays in data-reason and the log.
  function noPhone(status, body) {
    var d = Array.isArray(body.detail) ? body.detail : [];
    var field = d.length && Array.isArray(d[0].loc) ? d[0].loc[d[0].loc.length - 1] : "";
    var reason = d.length ? d.map(function (e) { return e.msg; }).join("; ") : String(body.detail || status);
    var key = status === 404 && field === "agent" ? "no_agent" : status === 404 && field === "phone" ? "phone_off" : "";
    log("no_phone", reason);
    $("ph-conn").dataset.reason = reason;
    setConn("failed", key ? T[key] : fmt("no_phone", status));
  }
  api.answer = answer; api.hangup = hangup; api.hold = toggleHold; api.mute = toggleMute; api.dtmf = dtmf; api.transfer = transfer;
  api.stop = function () { if (ua) ua.stop(); };
  window.addEventListener("beforeunload", function () { if (ua) ua.stop(); });
  boot();
})();
