// The live wallboard. A file of its own, not inline: the Content-Security-Policy allows only same-origin
// scripts. State comes from GET /api/queues/live and GET /api/reports/live, then from the /api/events
// websocket (opened with the page's session cookie). Every tile the page changes because of an event
// gets data-at = that event's `at` (server Unix time), so a test can measure event → screen latency.
"use strict";
(() => {
  const root = document.getElementById("wallboard");
  if (!root) return;
  const QUEUES = JSON.parse(root.dataset.queues || "[]");
  const STATES = JSON.parse(root.dataset.states || "{}");
  const REASONS = JSON.parse(root.dataset.reasons || "{}");
  const T = JSON.parse(root.dataset.text || "{}");
  const say = (key, value) => (T[key] || key).replace("{s}", value ?? "");
  const conn = document.getElementById("conn");
  const sections = {};
  for (const el of root.querySelectorAll("section[data-queue]")) sections[el.dataset.queue] = el;

  // -- state -------------------------------------------------------------------------------------
  const now = {members: {}, callers: {}, agents: {}, calls: {}, seq: null};
  // members: queue → Set(agent); callers: uniqueid → {queue, caller, joined_at}; agents: agent →
  // {state, reason, since}; calls: bridge → agent. Times are server Unix seconds; `skew` maps them
  // to this browser's clock (the TV's clock need not agree with the server's).
  let skew = 0, evSkew = null;
  const serverNow = () => Date.now() / 1000 - skew;

  // -- formatting --------------------------------------------------------------------------------
  const clock = s => {
    if (s == null || !isFinite(s)) return "—";
    s = Math.max(0, Math.round(s));
    const h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), r = s % 60;
    const two = n => String(n).padStart(2, "0");
    return h ? `${h}:${two(m)}:${two(r)}` : `${m}:${two(r)}`;
  };
  const fmt = (kind, v) => {
    if (v == null || (typeof v === "number" && !isFinite(v))) return "—";
    if (kind === "pct") return `${(100 * v).toFixed(1)}\u00a0%`;  // no break between figure and sign
    if (kind === "secs") return v < 60 ? `${Math.round(v)} s` : clock(v);
    if (kind === "score") return Number(v).toFixed(2);
    return String(Math.round(v));
  };
  // Colour thresholds per queue, {kpi: {warn, alarm}}: when warn > alarm, lower is worse (service level).
  const level = (t, v) => {
    if (!t || v == null) return "";
    const worse = t.warn > t.alarm ? (a, b) => a <= b : (a, b) => a >= b;
    if (t.alarm != null && worse(v, t.alarm)) return "alarm";
    if (t.warn != null && worse(v, t.warn)) return "warn";
    return "ok";
  };
  const thresholds = {};
  // The center's time zone (report_timezone): the page's data-tz, the one its server-side times use;
  // /api/reports/live names it too. Never the TV's own zone.
  let zone = root.dataset.tz || "UTC";
  const hhmm = () => new Intl.DateTimeFormat("es", {hour: "2-digit", minute: "2-digit", hourCycle: "h23", timeZone: zone});
  const setTile = (tile, text, value, queue, at) => {
    if (!tile) return;
    const b = tile.querySelector("b");
    const key = tile.dataset.kpi || tile.dataset.now;
    const lvl = level((thresholds[queue] || {})[key], value);
    tile.classList.remove("ok", "warn", "alarm");
    if (lvl) tile.classList.add(lvl);
    tile.dataset.at = at == null ? "" : String(at);  // "": changed by a reload or the clock, not an event
    if (b.textContent !== text) b.textContent = text;
  };

  // -- the "now" part ----------------------------------------------------------------------------
  function renderNow(queue, at) {
    const sec = sections[queue];
    if (!sec) return;
    const waiting = Object.values(now.callers).filter(c => c.queue === queue);
    const longest = waiting.length ? serverNow() - Math.min(...waiting.map(c => c.joined_at)) : null;
    const members = [...(now.members[queue] || [])].sort();
    const tile = k => sec.querySelector(`[data-now="${k}"]`);
    setTile(tile("waiting"), String(waiting.length), waiting.length, queue, at);
    setTile(tile("longest_wait_s"), longest == null ? "—" : clock(longest), longest, queue, at);
    const calls = Object.values(now.calls).filter(a => a && members.includes(a)).length;
    setTile(tile("calls"), String(calls), calls, queue, at);
    const counts = {};
    for (const a of members) {
      const s = (now.agents[a] || {}).state || "logged_out";
      counts[s] = (counts[s] || 0) + 1;
    }
    for (const s of Object.keys(STATES)) setTile(tile(`agents_${s}`), String(counts[s] || 0), counts[s] || 0, queue, at);
    const body = sec.querySelector("tbody[data-agents]");
    const rows = members.map(a => {
      const st = now.agents[a] || {state: "logged_out"};
      const reason = st.reason ? ` (${REASONS[st.reason] || st.reason})` : "";
      return [a, (STATES[st.state] || st.state) + reason, st.since ? clock(serverNow() - st.since) : "—", st.state];
    });
    // Rebuild the rows only when something other than the ticking "since" changed.
    const shape = rows.map(r => r[0] + "|" + r[1]).join(";");
    if (body.dataset.shape !== shape) {
      body.replaceChildren(...rows.map(([a, s, since, state]) => {
        const tr = document.createElement("tr");
        tr.className = `state-${state}`;
        for (const v of [a, s, since]) tr.appendChild(Object.assign(document.createElement("td"), {textContent: v}));
        return tr;
      }));
      body.dataset.shape = shape;
    } else {
      rows.forEach((r, i) => { const td = body.rows[i].cells[2]; if (td.textContent !== r[2]) td.textContent = r[2]; });
    }
    if (at != null) body.dataset.at = String(at);
  }
  const renderAllNow = () => QUEUES.forEach(q => renderNow(q));

  async function loadNow() {
    const r = await fetch("/api/queues/live", {credentials: "same-origin"});
    if (!r.ok) throw new Error(`queues/live ${r.status}`);
    const snap = await r.json();
    const date = Date.parse(r.headers.get("date") || "");
    if (isFinite(date) && evSkew == null) skew = Date.now() / 1000 - date / 1000 - 0.5;  // until events give a finer figure
    now.members = {}; now.callers = {}; now.calls = {};
    for (const [q, v] of Object.entries(snap.queues || {})) {
      now.members[q] = new Set((v.members || []).map(m => m.agent));
      for (const c of v.callers || []) now.callers[c.uniqueid] = {queue: q, caller: c.caller, joined_at: serverNow() - c.wait};
    }
    now.agents = snap.agents || {};
    for (const c of snap.calls || []) now.calls[c.bridge] = c.agent;
    now.seq = snap.seq;
    renderAllNow();
  }

  // -- KPIs (today, last 60 minutes) ---------------------------------------------------------------
  function renderKpis(queue, figures, at) {
    const sec = sections[queue];
    if (!sec || !figures) return;
    const today = figures.today || {}, hour = figures.last_60m || {};
    for (const tile of sec.querySelectorAll(".wb-kpis [data-kpi]")) {
      const k = tile.dataset.kpi, kind = tile.dataset.fmt;
      setTile(tile, fmt(kind, today[k]), today[k], queue, at);  // coloured by today's figure
      const small = tile.querySelector('[data-window="last_60m"]');
      const text = fmt(kind, hour[k]);
      if (small.textContent !== text) small.textContent = text;
    }
  }
  async function loadKpis() {
    const qs = QUEUES.map(q => `queue=${encodeURIComponent(q)}`).join("&");
    const r = await fetch(`/api/reports/live?${qs}`, {credentials: "same-origin"});
    if (!r.ok) { root.dataset.live = "missing"; return; }
    const body = await r.json();
    root.dataset.live = "ok";
    if (body.tz) zone = body.tz;
    for (const [q, v] of Object.entries(body.queues || {})) {
      thresholds[q] = (v.thresholds || {}).colours || {};  // {kpi: {warn, alarm}}
      renderKpis(q, v);
    }
  }

  // -- today's abandoned callers ----------------------------------------------------------------------
  const abBody = document.getElementById("abandoned");
  const abStatus = document.getElementById("abandoned-status");
  async function loadAbandoned() {
    const qs = QUEUES.map(q => `queue=${encodeURIComponent(q)}`).join("&");
    const r = await fetch(`/api/reports/abandoned?${qs}`, {credentials: "same-origin"});
    if (!r.ok) return;
    const body = await r.json();
    const rows = (Array.isArray(body) ? body : body.rows || []).filter(a => !a.called_back);
    abBody.replaceChildren(...rows.map(a => {
      const tr = document.createElement("tr");
      tr.dataset.callid = a.callid;
      const at = new Date(a.abandoned_at);
      const when = isNaN(at) ? "—" : hhmm().format(at);
      for (const v of [a.caller || "—", a.queue, when, fmt("secs", a.wait_s)])
        tr.appendChild(Object.assign(document.createElement("td"), {textContent: v}));
      const td = document.createElement("td");
      const button = Object.assign(document.createElement("button"), {type: "button", textContent: say("callback")});
      button.setAttribute("aria-label", `${say("callback")}: ${a.caller}`);
      button.addEventListener("click", () => callBack(a.callid, button));
      td.appendChild(button);
      tr.appendChild(td);
      return tr;
    }));
    abStatus.textContent = rows.length ? "" : say("none");
  }
  async function callBack(callid, button) {
    button.disabled = true;
    const r = await fetch(`/api/reports/abandoned/${encodeURIComponent(callid)}/callback`,
      {method: "POST", credentials: "same-origin"});
    if (r.ok) {
      button.replaceWith(document.createTextNode(say("called")));
    } else {
      const body = await r.json().catch(() => ({}));
      abStatus.textContent = say("failed", typeof body.detail === "string" ? body.detail : JSON.stringify(body.detail));
      button.disabled = false;
    }
  }
  let abTimer = null;
  const soonAbandoned = () => { clearTimeout(abTimer); abTimer = setTimeout(loadAbandoned, 300); };

  // -- events ---------------------------------------------------------------------------------------
  const queuesOf = data => data.queue ? [data.queue] : (data.queues || []);
  function onEvent(ev) {
    // `at`: Unix seconds (queues runtime, engine) or an ISO time (centralita.bus.publish): both accepted.
    const d = ev.data || {}, at = typeof ev.at === "number" ? ev.at : ev.at ? Date.parse(ev.at) / 1000 : null;
    // The smallest (receive time − at) seen is the clocks' offset plus the least delivery delay.
    if (at != null && isFinite(at)) { evSkew = Math.min(evSkew ?? Infinity, Date.now() / 1000 - at); skew = evSkew; }
    if (d.seq != null && now.seq != null && d.seq > now.seq + 1) { resync(); return; }  // missed events
    if (d.seq != null) now.seq = d.seq;
    let touched = [];
    switch (ev.type) {
      case "reports.kpi":
        renderKpis(d.queue, d, at);
        soonAbandoned();
        return;
      case "agent.state":
        now.agents[d.agent] = {state: d.state, reason: d.reason, since: d.since};
        for (const q of Object.keys(now.members)) if (!(d.queues || []).includes(q)) now.members[q].delete(d.agent);
        for (const q of d.queues || []) (now.members[q] ||= new Set()).add(d.agent);
        touched = QUEUES;
        break;
      case "queue.caller.joined":
        now.callers[d.uniqueid] = {queue: d.queue, caller: d.caller, joined_at: d.joined_at ?? at};
        touched = [d.queue];
        break;
      case "queue.caller.left":
        delete now.callers[d.uniqueid];
        touched = [d.queue];
        if (d.reason === "abandoned") soonAbandoned();
        break;
      case "call.started":
        now.calls[d.bridge] = d.agent;
        touched = QUEUES;
        break;
      case "call.ended":
        delete now.calls[d.bridge];
        touched = QUEUES;
        break;
      case "state.rebuilt":
        resync();
        return;
      default:
        touched = queuesOf(d);
    }
    touched.filter(q => sections[q]).forEach(q => renderNow(q, at));
  }

  let resyncing = null;
  function resync() {
    resyncing ||= Promise.all([loadNow(), loadKpis().then(loadAbandoned)]).catch(() => {}).finally(() => { resyncing = null; });
    return resyncing;
  }

  let delay = 1, ws = null;
  function setConn(state, text) { conn.dataset.state = state; conn.textContent = text; }
  function connect() {
    setConn("connecting", say("connecting"));
    const scheme = location.protocol === "https:" ? "wss" : "ws";
    ws = new WebSocket(`${scheme}://${location.host}/api/events`);
    ws.onmessage = m => {
      let ev;
      try { ev = JSON.parse(m.data); } catch { return; }
      if (ev.type === "stream.open") {
        delay = 1;
        setConn("open", say("connected"));
        resync();  // whatever happened while we were away
        return;
      }
      onEvent(ev);
    };
    ws.onclose = e => {
      if (e.code === 4401) { setConn("expired", say("expired")); delay = 30; }
      const wait = delay;
      if (e.code !== 4401) setConn("retry", say("retry", wait));
      delay = Math.min(delay * 2, 15);
      setTimeout(connect, wait * 1000);
    };
  }

  resync().finally(connect);
  setInterval(renderAllNow, 1000);  // the waits and "since" figures tick
  setInterval(loadKpis, 60000);  // last 60 minutes rolls on even when nothing happens
})();
