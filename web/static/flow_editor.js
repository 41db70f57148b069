// The IVR flow editor (web/templates/flow_editor.html): the flow's steps as cards of labelled fields.
// The definition is kept here as plain JSON and every card is drawn from it; fields this editor does not
// show are kept as they came. Validate, save, publish, roll back and simulate call the JSON API with the
// session cookie (SameSite=strict), so the API's role checks, validation and audit apply. A read-only
// page (supervisors) draws the same cards with every field disabled and can only simulate.
"use strict";
(() => {
  const root = document.getElementById("flow-editor");
  if (!root) return;
  const data = JSON.parse(root.dataset.editor);
  const FLOW = data.flow;
  const API = `/api/ivr/flows/${encodeURIComponent(FLOW)}`;
  const RO = !data.can_change;
  const TZ = root.dataset.tz || "UTC";
  const NODE_ID = /^[a-z][a-z0-9_]{0,23}$/;
  const DIGITS = "1234567890*#";
  const DEST_FIELDS = ["next", "open", "closed", "known", "unknown", "invalid", "timeout", "fallback"];
  const DEST_VALUE = {node: "node", queue: "queue", flow: "flow", agent: "extension", external: "number",
    voicemail: "mailbox", booking: "service"};
  const NEW_IDS = {hours: "horario", menu: "menu", lookup: "consulta", queue: "cola", play: "mensaje",
    identify: "identificar", survey: "encuesta", transfer: "transferir", voicemail: "buzon", booking: "citas",
    hangup: "colgar"};
  const OUTCOMES = {queue: "una cola", hangup: "colgar", external: "un número externo", agent: "un agente",
    voicemail: "un buzón de voz", flow: "otro flujo", survey: "la encuesta", booking: "citas",
    loop: "un bucle sin salida"};

  // Each step's fields, in the order the card shows them. `def`: the value the API uses when left empty.
  const F = (name, label, kind, more = {}) => ({name, label, kind, ...more});
  const FIELDS = {
    hours: [
      F("calendar", "Calendario compartido", "calendar"),
      F("timezone", "Zona horaria", "text", {def: "America/Panama"}),
      F("schedule", "Horario de atención", "schedule"),
      F("holidays", "Feriados de este paso (AAAA-MM-DD, separados por comas)", "dates"),
      F("holiday_lists", "Listas de feriados compartidas", "lists"),
      F("override", "Estado", "select", {def: "auto",
        choices: {auto: "Según el horario", open: "Abierto siempre", closed: "Cerrado siempre"}}),
      F("open", "Si está abierto, va a", "dest", {required: true}),
      F("closed", "Si está cerrado, va a", "dest", {required: true}),
    ],
    menu: [
      F("prompt", "Mensaje del menú", "prompt", {required: true}),
      F("options", "Opciones: tecla → a dónde va", "options"),
      F("timeout_s", "Segundos para marcar", "int", {min: 1, max: 30, def: 5}),
      F("max_tries", "Intentos", "int", {min: 1, max: 9, def: 3}),
      F("invalid_prompt", "Mensaje si la tecla no vale", "prompt", {def: "invalid"}),
      F("timeout_prompt", "Mensaje si no marca nada", "prompt"),
      F("invalid", "Tras los intentos con teclas no válidas, va a", "dest", {fallback: "el operador"}),
      F("timeout", "Tras los intentos sin marcar, va a", "dest", {fallback: "el operador"}),
      F("direct_dial", "Se puede marcar la extensión de un agente", "bool"),
    ],
    lookup: [
      F("prompt", "Mensaje que pide los dígitos", "prompt", {required: true}),
      F("min_digits", "Dígitos: mínimo", "int", {min: 1, max: 20, def: 1}),
      F("max_digits", "Dígitos: máximo", "int", {min: 1, max: 20, def: 10}),
      F("check", "Dígito de control", "select", {def: "none",
        choices: {none: "Ninguno", luhn: "Luhn", mod11: "Módulo 11"}}),
      F("tries", "Intentos", "int", {min: 1, max: 5, def: 3}),
      F("url", "Dirección del servicio ({digits}: lo marcado, {caller}: el número del llamante)", "text",
        {required: true, placeholder: "https://servicio.example/cuentas/{digits}"}),
      F("method", "Método", "select", {def: "GET", choices: {GET: "GET", POST: "POST"}}),
      F("headers", "Cabeceras (una por línea: Nombre: valor)", "headers"),
      F("timeout_s", "Segundos de espera del servicio", "num", {min: 0.1, max: 15, def: 3}),
      F("found_field", "Campo de la respuesta que dice si se encontró", "text", {def: "found"}),
      F("say", "Qué se le dice al llamante", "say"),
      F("not_found_prompt", "Mensaje si no se encuentra", "prompt"),
      F("next", "Después, va a", "dest", {required: true}),
      F("fallback", "Si el servicio falla o tarda, va a", "dest", {fallback: "la cola predeterminada"}),
    ],
    queue: [
      F("queue", "Cola", "queue", {required: true}),
      F("info_prompt", "Mensaje al entrar en la cola", "prompt"),
    ],
    play: [F("prompt", "Mensaje", "prompt", {required: true}), F("next", "Después, va a", "dest", {required: true})],
    identify: [
      F("known", "Si el número es de un contacto conocido, va a", "dest", {required: true}),
      F("unknown", "Si no, va a", "dest", {required: true}),
    ],
    survey: [
      F("questions", "Preguntas (un mensaje que empieza por «nps» se responde de 0 a 10; los demás, de 1 a 5)",
        "questions"),
      F("thanks_prompt", "Mensaje de despedida", "prompt", {def: "goodbye"}),
      F("timeout_s", "Segundos para responder", "int", {min: 1, max: 20, def: 5}),
    ],
    transfer: [F("number", "Número (con o sin +)", "text", {required: true})],
    voicemail: [F("mailbox", "Buzón", "text", {required: true})],
    hangup: [F("prompt", "Mensaje antes de colgar", "prompt")],
    booking: [
      F("service", "Servicio de citas", "text", {required: true}),
      F("prompt", "Mensaje que pide la identificación", "prompt", {def: "booking-ask-identity"}),
      F("tries", "Intentos", "int", {min: 1, max: 5, def: 3}),
      F("timeout_s", "Segundos para marcar", "int", {min: 2, max: 20, def: 6}),
      F("offer", "Horarios que se ofrecen a la vez (teclas 1 a N; el 9 da fechas posteriores)", "int",
        {min: 1, max: 8, def: 3}),
      F("hold_s", "Segundos que se guardan los horarios ofrecidos", "int",
        {min: 30, max: 900, placeholder: "Vacío: lo de la central (90)"}),
      F("next", "Tras reservar, cancelar o conservar la cita, va a", "dest", {fallback: "colgar"}),
      F("fallback", "Si no se puede (identificación no válida, sin horarios, una falla), va a", "dest",
        {fallback: "la cola predeterminada"}),
    ],
  };
  const SAY_KINDS = {text: "Texto", amount: "Importe", number: "Número", date: "Fecha", digits: "Dígitos uno a uno"};

  // The API's messages (ivr/validation.py, pydantic) in Spanish; one not listed is shown as it came.
  const MESSAGES = [
    [/^Field required$/, "Falta este dato."],
    [/^leads to node '(.+)', which does not exist$/, "Lleva al paso «$1», que no existe."],
    [/^leads back to the same node/, "Lleva al mismo paso (para repetir un menú use «Intentos»)."],
    [/^leads to flow '(.+)', which has no published version$/, "Lleva al flujo «$1», que no tiene versión publicada."],
    [/^prompt '(.+)' does not exist$/, "El mensaje «$1» no existe."],
    [/^unreachable/, "Ningún paso lleva aquí: conéctelo desde otro paso o quítelo."],
    [/^a menu needs at least one way out$/, "Un menú necesita al menos una opción."],
    [/^must not exceed max_digits$/, "No puede ser mayor que el máximo de dígitos."],
    [/^a GET lookup must use \{digits\} in the URL$/, "La dirección debe llevar {digits}, donde van los dígitos marcados."],
    [/^unknown time zone '(.+)'$/, "Zona horaria desconocida: «$1»."],
    [/^day must be one of/, "Día no válido."],
    [/^'(.+)' is not HH:MM-HH:MM \(start < end\)$/, "«$1» no es HH:MM-HH:MM (el inicio antes del fin)."],
    [/^calendar '(.+)' does not exist$/, "El calendario «$1» no existe."],
    [/^holiday list '(.+)' does not exist$/, "La lista de feriados «$1» no existe."],
    [/^'(.+)' is not a YYYY-MM-DD date$/, "«$1» no es una fecha AAAA-MM-DD."],
    [/^no node named '(.*)'$/, "Elija el primer paso del flujo."],
    [/^'(.+)' is not a survey node of this flow$/, "«$1» no es una encuesta de este flujo."],
    [/^String should match pattern/, "Formato no válido."],
    [/^Input should be greater than or equal to (\S+)$/, "Debe ser al menos $1."],
    [/^Input should be less than or equal to (\S+)$/, "Debe ser como mucho $1."],
    [/^Input should be greater than (\S+)$/, "Debe ser mayor que $1."],
    [/^Input should be a valid integer/, "Debe ser un número entero."],
    [/^Input should be a valid number/, "Debe ser un número."],
    [/^Input should be a valid string/, "Falta este dato."],
    [/^Input should be /, "Elija uno de los valores de la lista."],
    [/^List should have at least 1 item/, "Hace falta al menos uno."],
    [/^List should have at most (\d+) items?/, "Como mucho $1."],
    [/a flow needs at least one node$/, "El flujo necesita al menos un paso."],
    [/option '(.+)' must be one DTMF digit/, "Cada opción es una tecla: 0-9, * o #."],
    [/^Extra inputs are not permitted$/, "Este tipo de paso no admite este dato."],
    [/^String should have at most (\d+) characters?$/, "Como mucho $1 caracteres."],
    [/^Unable to extract tag/, "Falta el tipo."],
    [/^lower-case letters, digits, '-', '_' \(max 32\)$/, "Minúsculas, dígitos, «-» o «_» (máximo 32)."],
  ];
  const spanish = text => {
    for (const [re, es] of MESSAGES) {
      const m = String(text).match(re);
      if (m) return es.replace(/\$(\d)/g, (_, i) => m[i] || "");
    }
    return text;
  };

  let def = data.definition && typeof data.definition === "object" ? data.definition : {};
  if (!def.nodes || typeof def.nodes !== "object") def.nodes = {};
  if (typeof def.start !== "string") def.start = "";
  let version = data.version;
  let published = data.published_version;
  let versions = data.versions || [];
  let dirty = false;
  let errors = [];
  let revalidate = null;
  let lastUndoKey = null;
  const undo = [];
  const prompts = new Map((data.prompts || []).map(p => [p.name, p]));

  // -- small helpers -----------------------------------------------------------------------------
  function h(tag, attrs = {}, ...children) {
    const el = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs)) {
      if (v === undefined || v === null || v === false) continue;
      if (k === "class") el.className = v;
      else if (k === "text") el.textContent = v;
      else if (k.startsWith("on")) el.addEventListener(k.slice(2), v);
      else if (k === "dataset") Object.assign(el.dataset, v);
      else el.setAttribute(k, v === true ? "" : v);
    }
    for (const c of children.flat()) if (c !== null && c !== undefined && c !== false) el.append(c);
    return el;
  }
  const idOf = (...parts) => parts.join("-").replace(/[^A-Za-z0-9_-]/g, c => `_${c.charCodeAt(0)}`);
  const status = text => { document.getElementById("editor-status").textContent = text; };
  const nodeName = id => {
    const n = def.nodes[id];
    return n && n.label ? `«${n.label}» (${id})` : `«${id}»`;
  };

  async function call(method, url, body) {
    const r = await fetch(url, {
      method, credentials: "same-origin",
      headers: body !== undefined ? {"Content-Type": "application/json"} : {},
      body: body !== undefined ? JSON.stringify(body) : undefined,
    });
    const json = await r.json().catch(() => ({detail: r.statusText}));
    return {ok: r.ok, status: r.status, body: json};
  }

  function getPath(obj, path) {
    return path.split(".").reduce((o, k) => (o && typeof o === "object" ? o[k] : undefined), obj);
  }
  function setPath(obj, path, value) {
    const keys = path.split(".");
    let o = obj;
    for (const k of keys.slice(0, -1)) {
      if (!o[k] || typeof o[k] !== "object") o[k] = {};
      o = o[k];
    }
    const last = keys[keys.length - 1];
    if (value === undefined) delete o[last]; else o[last] = value;
  }

  // Every change goes through here: one undo step per field being edited, then redraw if the shape changed.
  function change(key, fn, redraw = false) {
    if (RO) return;
    if (key === null || key !== lastUndoKey) {
      undo.push(JSON.stringify(def));
      if (undo.length > 100) undo.shift();
    }
    lastUndoKey = key;
    fn();
    dirty = true;
    const undoButton = document.getElementById("undo");
    if (undoButton) undoButton.disabled = false;
    if (redraw) render();
    if (errors.length) { clearTimeout(revalidate); revalidate = setTimeout(() => validate(false), 700); }
  }

  function destinations(node) {
    const out = [];
    if (node && node.options && typeof node.options === "object") {
      for (const [d, dest] of Object.entries(node.options)) out.push([`options.${d}`, dest]);
    }
    for (const f of DEST_FIELDS) if (node && node[f] && typeof node[f] === "object") out.push([f, node[f]]);
    return out;
  }
  function incoming(target) {
    const out = [];
    if (def.start === target) out.push("el inicio de la llamada");
    for (const [id, node] of Object.entries(def.nodes)) {
      for (const [field, dest] of destinations(node)) {
        if (dest.type !== "node" || dest.node !== target) continue;
        out.push(field.startsWith("options.") ? `${nodeName(id)}, tecla ${field.slice(8)}` : `${nodeName(id)} (${fieldLabel(node, field)})`);
      }
    }
    return out;
  }
  function fieldLabel(node, field) {
    const spec = (FIELDS[node.type] || []).find(f => f.name === field);
    return spec ? spec.label.replace(/, va a$/, "").toLowerCase() : field;
  }

  // -- fields ------------------------------------------------------------------------------------
  function field(nodeId, path, label, control, hint) {
    const errId = idOf("err", nodeId || "flow", path);
    const hintId = hint ? idOf("hint", nodeId || "flow", path) : null;
    for (const c of control.matches("input,select,textarea") ? [control] : control.querySelectorAll("input,select,textarea")) {
      c.setAttribute("aria-describedby", [hintId, errId].filter(Boolean).join(" "));
      if (RO) c.disabled = true;
    }
    return h("div", {class: "field", dataset: {field: path}},
      h("label", {for: control.id || undefined, text: label}),
      control,
      hint ? h("span", {class: "muted hint", id: hintId, text: hint}) : null,
      h("span", {class: "field-error", id: errId}));
  }

  function promptControl(nodeId, path, value, required) {
    const id = idOf("f", nodeId, path);
    const input = h("input", {type: "text", id, list: "prompt-names", value: value || "", autocomplete: "off",
      dataset: {key: `${nodeId}|${path}`}, placeholder: required ? "elija un mensaje" : "ninguno"});
    // Empty: the key goes, so the API's default applies (or, for a required prompt, it says one is missing).
    input.addEventListener("input", () => change(`${nodeId}|${path}`, () => {
      setPath(def.nodes[nodeId], path, input.value.trim() || undefined);
      const said = input.parentElement && input.parentElement.querySelector(".hint");
      if (said) said.textContent = promptHint(input.value.trim());
    }));
    return input;
  }
  const promptHint = name => {
    const p = prompts.get(name);
    if (!name) return "Elija un mensaje de la lista (o escriba sound:… para un sonido de Asterisk).";
    return p ? `Dice: «${p.text || "(audio subido)"}»` : name.startsWith("sound:") ? "Sonido de Asterisk." : "No hay ningún mensaje con ese nombre.";
  };

  function textControl(nodeId, path, value, spec) {
    const id = idOf("f", nodeId, path);
    const input = h("input", {type: "text", id, value: value ?? "", placeholder: spec.placeholder || (spec.def ?? ""),
      dataset: {key: `${nodeId}|${path}`}, autocomplete: "off"});
    input.addEventListener("input", () => change(`${nodeId}|${path}`, () => {
      const v = input.value.trim();
      setPath(nodeId ? def.nodes[nodeId] : def, path, v === "" ? undefined : v);
    }));
    return input;
  }

  function numberControl(nodeId, path, value, spec) {
    const id = idOf("f", nodeId, path);
    const input = h("input", {type: "number", id, value: value ?? spec.def ?? "", min: spec.min, max: spec.max,
      step: spec.kind === "int" ? 1 : 0.1, inputmode: spec.kind === "int" ? "numeric" : "decimal",
      placeholder: spec.placeholder || "", dataset: {key: `${nodeId}|${path}`}});
    input.addEventListener("input", () => change(`${nodeId}|${path}`, () => {
      const v = input.value.trim();
      setPath(def.nodes[nodeId], path, v === "" ? undefined : Number(v));
    }));
    return input;
  }

  function selectControl(nodeId, path, value, choices, onPick, allowEmpty) {
    const id = idOf("f", nodeId || "flow", path);
    const select = h("select", {id, dataset: {key: `${nodeId}|${path}`}},
      allowEmpty !== undefined ? h("option", {value: "", text: allowEmpty}) : null,
      Object.entries(choices).map(([k, text]) => h("option", {value: k, text, selected: k === value})));
    if (value && !(value in choices)) select.append(h("option", {value, text: `${value} (no existe)`, selected: true}));
    if (!value && allowEmpty !== undefined) select.value = "";
    select.addEventListener("change", () => onPick(select.value));
    return select;
  }

  function checkbox(nodeId, path, checked, label, onPick) {
    const id = idOf("f", nodeId || "flow", path);
    const input = h("input", {type: "checkbox", id, checked: !!checked, disabled: RO, dataset: {key: `${nodeId}|${path}`}});
    input.addEventListener("change", () => onPick(input.checked));
    return h("div", {class: "field check", dataset: {field: path}},
      h("label", {for: id}, input, ` ${label}`), h("span", {class: "field-error", id: idOf("err", nodeId || "flow", path)}));
  }

  function nodeChoices(except) {
    return Object.fromEntries(Object.entries(def.nodes).filter(([id]) => id !== except)
      .map(([id, n]) => [id, `${n.label ? `${n.label} (${id})` : id} · ${data.node_types[n.type] || n.type}`]));
  }
  const listChoices = names => Object.fromEntries(names.map(n => [n, n]));

  // A destination: what kind (another step, a queue, ...) and which one.
  function destField(nodeId, path, label, spec, holder) {
    const owner = holder || (nodeId ? def.nodes[nodeId] : def);
    const dest = getPath(owner, path);
    const kind = dest && dest.type ? dest.type : "";
    const wrap = h("div", {class: "dest"});
    const typeSelect = selectControl(nodeId, `${path}.type`, kind, data.dest_types, picked => change(null, () => {
      if (!picked) { setPath(owner, path, null); return; }
      const fresh = {type: picked};
      if (picked === "node") fresh.node = Object.keys(def.nodes).find(id => id !== nodeId) || "";
      if (picked === "queue") fresh.queue = data.queues[0] || "";
      if (picked === "flow") fresh.flow = data.flows[0] || "";
      setPath(owner, path, fresh);
    }, true), spec.required ? (kind ? undefined : "(elija a dónde va)") : `Lo predeterminado (${spec.fallback || "el operador"})`);
    typeSelect.setAttribute("aria-label", `${label}: tipo de destino`);
    wrap.append(typeSelect);
    const valueKey = DEST_VALUE[kind];
    if (valueKey) {
      const sub = `${path}.${valueKey}`;
      const current = dest[valueKey] || "";
      let control;
      const pick = v => change(null, () => { dest[valueKey] = v; }, true);
      if (kind === "node") control = selectControl(nodeId, sub, current, nodeChoices(nodeId), pick, current ? undefined : "(elija un paso)");
      else if (kind === "queue") control = selectControl(nodeId, sub, current, listChoices(data.queues), pick, current ? undefined : "(elija una cola)");
      else if (kind === "flow") control = selectControl(nodeId, sub, current, listChoices(data.flows), pick, current ? undefined : "(elija un flujo)");
      else {
        control = h("input", {type: "text", id: idOf("f", nodeId || "flow", sub), value: current, dataset: {key: `${nodeId}|${sub}`},
          inputmode: kind === "booking" ? "text" : "tel"});
        control.addEventListener("input", () => change(`${nodeId}|${sub}`, () => {
          const v = control.value.trim();
          if (v) dest[valueKey] = v; else if (kind === "booking") dest[valueKey] = ""; else delete dest[valueKey];
        }));
      }
      control.setAttribute("aria-label", `${label}: ${data.dest_types[kind].toLowerCase()}`);
      wrap.append(h("span", {class: "dest-value", dataset: {field: sub}}, control,
        h("span", {class: "field-error", id: idOf("err", nodeId || "flow", sub)})));
    }
    const f = field(nodeId, path, label, wrap);
    f.querySelector("label").setAttribute("for", typeSelect.id);
    const value = wrap.querySelector(".dest-value input, .dest-value select");
    if (value && valueKey) {
      value.setAttribute("aria-describedby", `${idOf("err", nodeId || "flow", path)} ${idOf("err", nodeId || "flow", `${path}.${valueKey}`)}`);
    }
    return f;
  }

  function optionsField(nodeId, node) {
    if (!node.options || typeof node.options !== "object") node.options = {};
    const digits = Object.keys(node.options).sort((a, b) => DIGITS.indexOf(a) - DIGITS.indexOf(b));
    const menus = Object.entries(def.nodes).filter(([id, n]) => n.type === "menu" && id !== nodeId);
    const list = h("ul", {class: "options"});
    digits.forEach((digit, i) => {
      const path = `options.${digit}`;
      // Another digit for this option: the option that had it (if any) takes this one's digit.
      const swapWith = (other, focusSuffix) => {
        change(null, () => {
          const a = node.options[digit];
          if (node.options[other]) node.options[digit] = node.options[other]; else delete node.options[digit];
          node.options[other] = a;
        }, true);
        const button = document.querySelector(`[data-key="${CSS.escape(`${nodeId}|options.${other}${focusSuffix}`)}"]`);
        if (button && !button.disabled) button.focus(); else focusKey(`${nodeId}|options.${other}.digit`, false);
        status(`La opción de la tecla ${digit} ahora es la tecla ${other}.`);
      };
      const digitSelect = selectControl(nodeId, `${path}.digit`, digit, Object.fromEntries([...DIGITS].map(d => [d, d])),
        picked => swapWith(picked, ".digit"));
      digitSelect.setAttribute("aria-label", `Tecla de la opción ${digit}`);
      const row = h("li", {class: "option", dataset: {field: path, digit}},
        h("div", {class: "option-head"},
          h("label", {for: digitSelect.id, text: "Tecla"}), digitSelect,
          h("span", {class: "option-buttons"},
            h("button", {type: "button", class: "secondary small", disabled: RO || i === 0, "aria-label": `Subir la opción ${digit}`,
              onclick: () => swapWith(digits[i - 1], "|up"), dataset: {key: `${nodeId}|${path}|up`}, text: "↑"}),
            h("button", {type: "button", class: "secondary small", disabled: RO || i === digits.length - 1,
              "aria-label": `Bajar la opción ${digit}`, onclick: () => swapWith(digits[i + 1], "|down"), dataset: {key: `${nodeId}|${path}|down`}, text: "↓"}),
            h("button", {type: "button", class: "secondary small danger", disabled: RO, dataset: {key: `${nodeId}|${path}|remove`},
              "aria-label": `Quitar la opción ${digit}`, text: "Quitar",
              onclick: () => { change(null, () => { delete node.options[digit]; }, true); status(`Opción ${digit} quitada de ${nodeName(nodeId)}.`); }}))),
        destField(nodeId, path, `Tecla ${digit}: va a`, {required: true}));
      if (menus.length && !RO) {
        const target = h("select", {id: idOf("move", nodeId, digit), dataset: {key: `${nodeId}|${path}|moveto`}},
          menus.map(([id]) => h("option", {value: id, text: nodeName(id)})));
        row.append(h("div", {class: "move"},
          h("label", {for: target.id, text: "Mover a otro menú"}), target,
          h("button", {type: "button", class: "secondary small", dataset: {key: `${nodeId}|${path}|move`},
            "aria-label": `Mover la opción ${digit} al menú elegido`, text: "Mover",
            onclick: () => moveOption(nodeId, digit, target.value)})));
      }
      list.append(row);
    });
    const add = h("button", {type: "button", class: "secondary", disabled: RO, dataset: {key: `${nodeId}|options|add`},
      text: "Añadir opción", onclick: () => {
        const free = [...DIGITS].find(d => !(d in node.options) && !(d === "0" && def.operator_digit !== false));
        if (!free) { status("Este menú ya usa todas las teclas."); return; }
        change(null, () => { node.options[free] = {type: "hangup"}; }, true);
        focusKey(`${nodeId}|options.${free}.type`);
        status(`Opción ${free} añadida a ${nodeName(nodeId)}: elija a dónde va.`);
      }});
    const note = def.operator_digit !== false && !("0" in node.options) ? h("p", {class: "muted hint", text: "La tecla 0 lleva a una persona (ajustes del flujo)."}) : null;
    return h("div", {class: "field wide", dataset: {field: "options"}},
      h("span", {class: "field-title", text: "Opciones: tecla → a dónde va"}), list, note, add,
      h("span", {class: "field-error", id: idOf("err", nodeId, "options")}));
  }

  function moveOption(from, digit, to) {
    const source = def.nodes[from], target = def.nodes[to];
    if (!source || !target) return;
    if (!target.options || typeof target.options !== "object") target.options = {};
    const free = !(digit in target.options) ? digit : [...DIGITS].find(d => !(d in target.options) && d !== "0");
    if (!free) { status(`${nodeName(to)} ya usa todas las teclas.`); return; }
    change(null, () => {
      target.options[free] = source.options[digit];
      delete source.options[digit];
    }, true);
    status(`Opción ${digit} de ${nodeName(from)} movida a ${nodeName(to)} como tecla ${free}.`);
    focusKey(`${to}|options.${free}.type`);
  }

  function scheduleField(nodeId, node) {
    const box = h("div", {class: "schedule"});
    for (const [day, name] of Object.entries(data.days)) {
      const path = `schedule.${day}`;
      const id = idOf("f", nodeId, path);
      const value = ((node.schedule || {})[day] || []).join(", ");
      const input = h("input", {type: "text", id, value, placeholder: "cerrado", dataset: {key: `${nodeId}|${path}`}});
      input.addEventListener("input", () => change(`${nodeId}|${path}`, () => {
        if (!node.schedule || typeof node.schedule !== "object") node.schedule = {};
        const ranges = input.value.split(/[,;]/).map(s => s.trim().replace(/\s*-\s*/, "-")).filter(Boolean);
        if (ranges.length) node.schedule[day] = ranges; else delete node.schedule[day];
      }));
      box.append(field(nodeId, path, name, input));
    }
    return h("div", {class: "field wide", dataset: {field: "schedule"}},
      h("span", {class: "field-title", text: "Horario de atención (por ejemplo 08:00-16:30; vacío: cerrado)"}), box,
      h("span", {class: "field-error", id: idOf("err", nodeId, "schedule")}));
  }

  function listOfText(nodeId, path, values, spec, parse, show) {
    const id = idOf("f", nodeId, path);
    const input = h(spec.kind === "headers" ? "textarea" : "input", {type: spec.kind === "headers" ? undefined : "text", id,
      rows: spec.kind === "headers" ? 2 : undefined, dataset: {key: `${nodeId}|${path}`}});
    input.value = show(values);
    input.addEventListener("input", () => change(`${nodeId}|${path}`, () => setPath(def.nodes[nodeId], path, parse(input.value))));
    return input;
  }

  function listsField(nodeId, node) {
    const chosen = new Set(node.holiday_lists || []);
    const names = [...new Set([...data.holiday_lists, ...chosen])];
    const box = h("div", {class: "checks"});
    if (!names.length) box.append(h("span", {class: "muted", text: "No hay listas (Configuración → Calendarios)."}));
    names.forEach((name, i) => {
      const cb = checkbox(nodeId, `holiday_lists.${i}`, chosen.has(name), name, on => change(null, () => {
        const now = new Set(node.holiday_lists || []);
        if (on) now.add(name); else now.delete(name);
        node.holiday_lists = [...now];
      }));
      box.append(cb);
    });
    return h("div", {class: "field wide", dataset: {field: "holiday_lists"}},
      h("span", {class: "field-title", text: "Listas de feriados compartidas"}), box,
      h("span", {class: "field-error", id: idOf("err", nodeId, "holiday_lists")}));
  }

  function sayField(nodeId, node) {
    if (!Array.isArray(node.say)) node.say = [];
    const list = h("ol", {class: "say"});
    node.say.forEach((item, i) => {
      const base = `say.${i}`;
      const fieldInput = h("input", {type: "text", id: idOf("f", nodeId, base, "field"), value: item.field || "", placeholder: "deuda",
        dataset: {key: `${nodeId}|${base}.field`}});
      fieldInput.addEventListener("input", () => change(`${nodeId}|${base}.field`, () => { item.field = fieldInput.value.trim(); }));
      const kind = selectControl(nodeId, `${base}.say`, item.say || "text", SAY_KINDS, v => change(null, () => { item.say = v; }, true));
      const row = h("li", {class: "say-item", dataset: {field: base}},
        field(nodeId, `${base}.field`, "Campo de la respuesta", fieldInput),
        field(nodeId, `${base}.say`, "Cómo se dice", kind),
        field(nodeId, `${base}.prompt`, "Mensaje antes del valor", promptControl(nodeId, `${base}.prompt`, item.prompt, false)),
        item.say === "amount" ? field(nodeId, `${base}.currency`, "Moneda (se dice tras el entero)",
          textControl(nodeId, `${base}.currency`, item.currency, {def: "dólares"})) : null,
        h("button", {type: "button", class: "secondary small danger", disabled: RO, text: "Quitar",
          "aria-label": `Quitar el dato ${i + 1}`, onclick: () => change(null, () => { node.say.splice(i, 1); }, true)}));
      list.append(row);
    });
    return h("div", {class: "field wide", dataset: {field: "say"}},
      h("span", {class: "field-title", text: "Qué se le dice al llamante"}), list,
      h("button", {type: "button", class: "secondary", disabled: RO || node.say.length >= 8, text: "Añadir un dato",
        dataset: {key: `${nodeId}|say|add`}, onclick: () => change(null, () => { node.say.push({field: "", say: "text"}); }, true)}),
      h("span", {class: "field-error", id: idOf("err", nodeId, "say")}));
  }

  function questionsField(nodeId, node) {
    if (!Array.isArray(node.questions)) node.questions = [];
    const list = h("ol", {class: "questions"});
    node.questions.forEach((q, i) => {
      const input = promptControl(nodeId, `questions.${i}`, q, true);
      input.addEventListener("input", () => { node.questions[i] = input.value.trim() || null; });
      list.append(h("li", {}, field(nodeId, `questions.${i}`, `Pregunta ${i + 1}`, input),
        h("button", {type: "button", class: "secondary small danger", disabled: RO, text: "Quitar",
          "aria-label": `Quitar la pregunta ${i + 1}`, onclick: () => change(null, () => { node.questions.splice(i, 1); }, true)})));
    });
    return h("div", {class: "field wide", dataset: {field: "questions"}},
      h("span", {class: "field-title", text: "Preguntas (un mensaje que empieza por «nps» se responde de 0 a 10; los demás, de 1 a 5)"}),
      list, h("button", {type: "button", class: "secondary", disabled: RO || node.questions.length >= 5, text: "Añadir una pregunta",
        onclick: () => change(null, () => { node.questions.push(null); }, true)}),
      h("span", {class: "field-error", id: idOf("err", nodeId, "questions")}));
  }

  function specField(nodeId, node, spec) {
    const value = node[spec.name];
    const path = spec.name;
    switch (spec.kind) {
      case "prompt": return field(nodeId, path, spec.label, promptControl(nodeId, path, value, spec.required), promptHint(value || ""));
      case "text": return field(nodeId, path, spec.label, textControl(nodeId, path, value, spec));
      case "int": case "num": return field(nodeId, path, spec.label, numberControl(nodeId, path, value, spec));
      case "bool": return checkbox(nodeId, path, value, spec.label, on => change(null, () => { node[path] = on; }));
      case "select": return field(nodeId, path, spec.label,
        selectControl(nodeId, path, value ?? spec.def, spec.choices, v => change(null, () => { node[path] = v; })));
      case "dest": return destField(nodeId, path, spec.label, spec);
      case "options": return optionsField(nodeId, node);
      case "schedule": return scheduleField(nodeId, node);
      case "lists": return listsField(nodeId, node);
      case "say": return sayField(nodeId, node);
      case "questions": return questionsField(nodeId, node);
      case "queue": return field(nodeId, path, spec.label, selectControl(nodeId, path, value, listChoices(data.queues),
        v => change(null, () => { node.queue = v || undefined; if (!v) delete node.queue; }), value ? undefined : "(elija una cola)"));
      case "calendar": return field(nodeId, path, spec.label, selectControl(nodeId, path, value, listChoices(data.calendars),
        v => change(null, () => { node.calendar = v || null; }, true), "Ninguno: el horario de este paso"),
        "Con un calendario, su zona, horario y feriados sustituyen a los de este paso.");
      case "dates": return field(nodeId, path, spec.label, listOfText(nodeId, path, value || [], spec,
        text => text.split(/[,\s]+/).filter(Boolean), v => (v || []).join(", ")));
      case "headers": return field(nodeId, path, spec.label, listOfText(nodeId, path, value || {}, spec,
        text => Object.fromEntries(text.split("\n").map(l => l.split(/:(.*)/s)).filter(p => p[0].trim())
          .map(([k, v]) => [k.trim(), (v || "").trim()])),
        v => Object.entries(v || {}).map(([k, x]) => `${k}: ${x}`).join("\n")));
      default: return null;
    }
  }

  // -- cards -------------------------------------------------------------------------------------
  function nodeCard(nodeId, node, index, count) {
    const type = node.type;
    const title = `${data.node_types[type] || type} ${node.label ? `«${node.label}»` : `«${nodeId}»`}`;
    const headingId = idOf("h", nodeId);
    const idInput = h("input", {type: "text", id: idOf("f", nodeId, "id"), value: nodeId, maxlength: 24,
      dataset: {key: `${nodeId}|id`}, autocomplete: "off"});
    idInput.addEventListener("change", () => rename(nodeId, idInput.value.trim(), idInput));
    const labelInput = textControl(nodeId, "label", node.label, {placeholder: "por ejemplo: Menú principal"});
    labelInput.addEventListener("change", () => render());
    const head = h("div", {class: "node-head"},
      h("h3", {id: headingId}, h("span", {class: "step-no", text: String(index + 1)}), ` ${title}`,
        def.start === nodeId ? h("span", {class: "badge", text: "inicio"}) : null,
        h("span", {class: "walked-badge badge tag", hidden: true})),
      RO ? null : h("span", {class: "node-buttons"},
        h("button", {type: "button", class: "secondary small", disabled: index === 0, text: "↑",
          "aria-label": `Subir el paso ${nodeId}`, dataset: {key: `${nodeId}|up`}, onclick: () => moveNode(nodeId, -1)}),
        h("button", {type: "button", class: "secondary small", disabled: index === count - 1, text: "↓",
          "aria-label": `Bajar el paso ${nodeId}`, dataset: {key: `${nodeId}|down`}, onclick: () => moveNode(nodeId, 1)}),
        def.start === nodeId ? null : h("button", {type: "button", class: "secondary small", text: "Empezar aquí",
          "aria-label": `Empezar la llamada en el paso ${nodeId}`, dataset: {key: `${nodeId}|start`},
          onclick: () => { change(null, () => { def.start = nodeId; }, true); focusKey(`${nodeId}|id`); }}),
        h("button", {type: "button", class: "secondary small danger", text: "Quitar",
          "aria-label": `Quitar el paso ${nodeId}`, dataset: {key: `${nodeId}|remove`}, onclick: () => removeNode(nodeId)})));
    const from = incoming(nodeId);
    return h("section", {class: "card node-card", id: idOf("node", nodeId), dataset: {node: nodeId, type},
      "aria-labelledby": headingId},
      head,
      h("p", {class: "muted incoming", text: from.length ? `Llegan aquí: ${from.join("; ")}.` : "Ningún paso lleva aquí todavía."}),
      h("div", {class: "field-error node-error", id: idOf("err", nodeId, "node"), role: "alert"}),
      h("div", {class: "fields"},
        field(nodeId, "__id", "Identificador", idInput, "Lo que ve el sistema: minúsculas, dígitos y «_»."),
        field(nodeId, "label", "Nombre para los informes", labelInput),
        (FIELDS[type] || []).map(spec => specField(nodeId, node, spec))));
  }

  function settingsCard() {
    const surveys = Object.fromEntries(Object.entries(def.nodes).filter(([, n]) => n.type === "survey").map(([id]) => [id, nodeName(id)]));
    const startSelect = selectControl("", "start", def.start, nodeChoices(null), v => change(null, () => { def.start = v; }, true),
      def.start && def.start in def.nodes ? undefined : "(elija el primer paso)");
    return h("section", {class: "card", id: "flow-settings-card", dataset: {node: ""}, "aria-labelledby": "flow-settings-title"},
      h("h2", {id: "flow-settings-title", text: "Ajustes del flujo"}),
      h("div", {class: "field-error node-error", id: idOf("err", "flow", "node"), role: "alert"}),
      h("div", {class: "fields"},
        field("", "start", "Primer paso de la llamada", startSelect),
        checkbox("", "operator_digit", def.operator_digit !== false, "La tecla 0 lleva a una persona en cualquier menú",
          on => change(null, () => { def.operator_digit = on; }, true)),
        destField("", "operator", "La tecla 0 lleva a", {fallback: "la cola predeterminada"}, def),
        checkbox("", "identify", !!def.identify, "Identificar al llamante al entrar (contactos conocidos)",
          on => change(null, () => { def.identify = on; })),
        field("", "survey", "Encuesta cuando el agente cuelga", selectControl("", "survey", def.survey || "", surveys,
          v => change(null, () => { def.survey = v || null; }), "Ninguna"))));
  }

  // The flow as a tree from its first step: each exit in words, each step a button to its card.
  function mapCard() {
    const seen = new Set();
    const edge = field => (field.startsWith("options.") ? `tecla ${field.slice(8)}` : data.link_words[field] || field);
    const destText = dest => {
      const value = dest[DEST_VALUE[dest.type]];
      return `${(data.dest_types[dest.type] || dest.type).toLowerCase()}${value ? ` ${value}` : ""}`;
    };
    const branch = id => {
      const node = def.nodes[id];
      if (!node) return h("span", {class: "field-error", text: `«${id}» (no existe)`});
      const what = node.queue || node.number || node.mailbox || "";
      const button = h("button", {type: "button", class: "link", onclick: () => focusKey(`${id}|id`),
        text: `${data.node_types[node.type] || node.type} ${nodeName(id)}${what ? `: ${what}` : ""}`});
      if (seen.has(id)) return h("span", {}, button, h("span", {class: "muted", text: " (más arriba)"}));
      seen.add(id);
      const exits = destinations(node).map(([f, dest]) => h("li", {}, h("span", {class: "edge", text: `${edge(f)} → `}),
        dest.type === "node" ? branch(dest.node) : h("span", {text: destText(dest)})));
      return h("span", {}, button, exits.length ? h("ul", {}, exits) : null);
    };
    const tree = def.start && def.start in def.nodes ? h("ul", {class: "map"}, h("li", {}, branch(def.start))) : null;
    const rest = Object.keys(def.nodes).filter(id => !seen.has(id));
    return h("section", {class: "card", id: "flow-map", "aria-labelledby": "flow-map-title"},
      h("h2", {id: "flow-map-title", text: "Mapa del flujo"}),
      tree || h("p", {class: "muted", text: "Elija el primer paso en los ajustes del flujo."}),
      rest.length ? h("div", {}, h("p", {class: "muted", text: "Fuera del recorrido (a ningún paso lleva nada aquí, salvo la encuesta al colgar):"}),
        h("ul", {class: "map"}, rest.map(id => h("li", {}, branch(id))))) : null);
  }

  function render() {
    const focused = document.activeElement && document.activeElement.dataset ? document.activeElement.dataset.key : null;
    const settings = document.getElementById("flow-settings");
    settings.replaceChildren(settingsCard());
    const ids = Object.keys(def.nodes);
    const cards = ids.map((id, i) => nodeCard(id, def.nodes[id], i, ids.length));
    const host = document.getElementById("nodes");
    host.replaceChildren(...[cards.length ? mapCard() : null, h("h2", {class: "visually-hidden", text: "Pasos del flujo"}), ...cards,
      cards.length ? null : h("p", {class: "card muted", text: RO ? "Este flujo no tiene pasos." :
        "Todavía no hay pasos: añada el primero abajo (por ejemplo un horario o un menú)."})].filter(Boolean));
    ensurePromptList();
    showErrors(false);
    if (focused) focusKey(focused, false);
  }

  function focusKey(key, scroll = true) {
    const el = document.querySelector(`[data-key="${CSS.escape(key)}"]`);
    if (el) { el.focus({preventScroll: !scroll}); if (scroll) el.scrollIntoView({block: "center"}); }
  }

  function ensurePromptList() {
    if (document.getElementById("prompt-names")) return;
    root.append(h("datalist", {id: "prompt-names"},
      [...prompts.values()].map(p => h("option", {value: p.name, label: p.text ? `${p.name}: ${p.text.slice(0, 60)}` : p.name}))));
  }

  // -- structure ---------------------------------------------------------------------------------
  function eachDest(fn) {
    if (def.operator && typeof def.operator === "object") fn(def.operator);
    for (const node of Object.values(def.nodes)) for (const [, dest] of destinations(node)) fn(dest);
  }

  function rename(oldId, newId, input) {
    const err = document.getElementById(idOf("err", oldId, "__id"));
    if (newId === oldId) return;
    if (!NODE_ID.test(newId)) { err.textContent = "Minúsculas, dígitos y «_», empezando por una letra (máximo 24)."; input.setAttribute("aria-invalid", "true"); return; }
    if (newId in def.nodes) { err.textContent = `Ya hay un paso «${newId}».`; input.setAttribute("aria-invalid", "true"); return; }
    change(null, () => {
      def.nodes = Object.fromEntries(Object.entries(def.nodes).map(([id, n]) => [id === oldId ? newId : id, n]));
      eachDest(dest => { if (dest.type === "node" && dest.node === oldId) dest.node = newId; });
      if (def.start === oldId) def.start = newId;
      if (def.survey === oldId) def.survey = newId;
      errors = errors.map(e => (e.node === oldId ? {...e, node: newId} : e));
    }, true);
    focusKey(`${newId}|id`);
    status(`El paso «${oldId}» ahora se llama «${newId}»; lo que llevaba a él lo sigue haciendo.`);
  }

  function moveNode(nodeId, delta) {
    const ids = Object.keys(def.nodes);
    const i = ids.indexOf(nodeId), j = i + delta;
    if (j < 0 || j >= ids.length) return;
    [ids[i], ids[j]] = [ids[j], ids[i]];
    change(null, () => { def.nodes = Object.fromEntries(ids.map(id => [id, def.nodes[id]])); }, true);
    const button = document.querySelector(`[data-key="${CSS.escape(`${nodeId}|${delta < 0 ? "up" : "down"}`)}"]`);
    if (button && !button.disabled) { button.focus(); button.scrollIntoView({block: "center"}); } else focusKey(`${nodeId}|id`);
    status(`Paso ${nodeName(nodeId)} movido a la posición ${j + 1}.`);
  }

  function removeNode(nodeId) {
    const from = incoming(nodeId).filter(t => t !== "el inicio de la llamada");
    const warn = from.length ? `\nLlevan a él: ${from.join("; ")}. Esas salidas quedarán sin destino hasta que elija otro.` : "";
    if (!window.confirm(`¿Quitar el paso ${nodeName(nodeId)}?${warn}`)) return;
    const ids = Object.keys(def.nodes);
    const next = ids[ids.indexOf(nodeId) + 1] || ids[ids.indexOf(nodeId) - 1];
    change(null, () => {
      delete def.nodes[nodeId];
      if (def.start === nodeId) def.start = Object.keys(def.nodes)[0] || "";
      if (def.survey === nodeId) def.survey = null;
    }, true);
    status(`Paso «${nodeId}» quitado.`);
    if (next && next !== nodeId) focusKey(`${next}|id`); else document.getElementById("add-type")?.focus();
  }

  function addNode(type, wanted) {
    const err = document.getElementById("add-id-error");
    err.textContent = "";
    let id = wanted;
    if (id && !NODE_ID.test(id)) { err.textContent = "Minúsculas, dígitos y «_», empezando por una letra (máximo 24)."; return false; }
    if (id && id in def.nodes) { err.textContent = `Ya hay un paso «${id}».`; return false; }
    if (!id) {
      const base = NEW_IDS[type] || type;
      id = base;
      for (let n = 2; id in def.nodes; n++) id = `${base}_${n}`;
    }
    const node = {type};
    for (const spec of FIELDS[type] || []) {
      if (spec.kind === "dest" && spec.required) node[spec.name] = {type: "hangup"};
    }
    if (type === "menu") node.options = {};
    if (type === "queue" && data.queues.length) node.queue = data.queues[0];
    if (type === "survey") node.questions = [];
    change(null, () => {
      def.nodes[id] = node;
      if (!def.start || !(def.start in def.nodes)) def.start = id;
    }, true);
    status(`Paso «${id}» (${data.node_types[type]}) añadido.`);
    const first = (FIELDS[type] || [])[0];
    focusKey(first ? `${id}|${first.kind === "dest" ? `${first.name}.type` : first.name}` : `${id}|id`);
    return true;
  }

  // -- errors ------------------------------------------------------------------------------------
  function normalise(item) {
    if (item && ("node" in item || "field" in item)) {
      return {node: item.node || "", field: item.field || "", message: spanish(item.message || item.msg || "")};
    }
    const loc = (item.loc || []).filter(p => p !== "body");
    return {node: "", field: loc.join("."), message: spanish(String(item.msg || item.detail || item))};
  }

  function slotFor(e) {
    const card = document.querySelector(`[data-node="${CSS.escape(e.node)}"]`);
    if (!card) return {card: null, slot: null};
    const parts = e.field ? e.field.split(".") : [];
    while (parts.length) {
      const found = card.querySelectorAll(`[data-field="${CSS.escape(parts.join("."))}"]`);
      const host = found[found.length - 1];  // the innermost: an option's destination rather than its row
      if (host) {
        const slot = [...host.children].find(c => c.classList.contains("field-error")) || host.querySelector(".field-error");
        return {card, slot, host};
      }
      parts.pop();
    }
    return {card, slot: card.querySelector(".node-error"), host: null};
  }

  function showErrors(focus) {
    document.querySelectorAll("#flow-editor .field-error").forEach(s => {
      if (s.id !== "add-id-error" && s.id !== "sim-digits-error") s.textContent = "";
    });
    document.querySelectorAll("#flow-editor [aria-invalid]").forEach(el => el.removeAttribute("aria-invalid"));
    document.querySelectorAll("#flow-editor .has-error").forEach(el => el.classList.remove("has-error"));
    const summary = document.getElementById("error-summary");
    summary.replaceChildren();
    summary.hidden = !errors.length;
    if (!errors.length) return;
    summary.append(h("p", {text: errors.length === 1 ? "Hay 1 problema que corregir:" : `Hay ${errors.length} problemas que corregir:`}));
    const list = h("ul");
    let first = null;
    for (const e of errors) {
      const {card, slot, host} = slotFor(e);
      if (slot) slot.textContent = slot.textContent ? `${slot.textContent} ${e.message}` : e.message;
      if (card) card.classList.add("has-error");
      const control = host ? host.querySelector("input,select,textarea") : card && card.querySelector("input,select,textarea");
      if (control) control.setAttribute("aria-invalid", "true");
      first = first || control;
      const where = e.node ? `Paso ${nodeName(e.node)}` : "Ajustes del flujo";
      list.append(h("li", {}, h("button", {type: "button", class: "link", text: `${where}: ${e.message}`,
        onclick: () => { if (control) { control.focus(); control.scrollIntoView({block: "center"}); } }})));
    }
    summary.append(list);
    if (focus && first) { first.focus(); first.scrollIntoView({block: "center"}); }
  }

  function setErrors(items, focus) {
    errors = items.map(normalise);
    showErrors(focus);
  }

  // -- API actions -------------------------------------------------------------------------------
  async function validate(focus = true) {
    const r = await call("POST", `${API}/validate`, {definition: def});
    if (!r.ok) { setErrors(Array.isArray(r.body.detail) ? r.body.detail : [{msg: String(r.body.detail)}], focus); return false; }
    setErrors(r.body.errors || [], focus);
    if (focus) status(r.body.valid ? "El flujo es válido." : "El flujo tiene problemas: están marcados en cada paso.");
    return r.body.valid;
  }

  async function save() {
    const comment = (document.getElementById("comment") || {}).value || "";
    const r = await call("PUT", API, {definition: def, comment});
    if (!r.ok) {
      setErrors(Array.isArray(r.body.detail) ? r.body.detail : [{msg: String(r.body.detail)}], true);
      status("No se guardó: corrija los problemas marcados.");
      return null;
    }
    version = r.body.version;
    dirty = false;
    setErrors([], false);
    if (document.getElementById("comment")) document.getElementById("comment").value = "";
    history.replaceState(null, "", `/ivr/flows/${encodeURIComponent(FLOW)}/edit?version=${version}`);
    await refreshVersions();
    return version;
  }

  async function saveIfNeeded() {
    if (!dirty && version) return version;
    return save();
  }

  async function publish() {
    const shown = dirty || !version ? "los cambios (se guardan primero)" : `la versión ${version}`;
    if (!window.confirm(`¿Publicar ${shown}? Las llamadas nuevas la oirán al momento; las que ya están dentro terminan en la versión que tenían.`)) return;
    const saved = await saveIfNeeded();
    if (!saved) return;
    const r = await call("POST", `${API}/publish`, {version: saved});
    if (!r.ok) { setErrors(Array.isArray(r.body.detail) ? r.body.detail : [{msg: String(r.body.detail)}], true); status("No se publicó."); return; }
    published = r.body.published_version;
    await refreshVersions();  // first: when the notice says "publicada", the version list says so too
    status(`Versión ${published} publicada${r.body.dialplan_reloaded ? ": las llamadas nuevas ya la oyen." : "; se aplicará cuando Asterisk se inicie o recargue."}`);
  }

  async function rollback(v, wasPublished) {
    const verb = wasPublished ? "Volver a" : "Publicar";
    if (!window.confirm(`¿${verb} la versión ${v}? Las llamadas nuevas la oirán al momento.`)) return;
    const r = wasPublished ? await call("POST", `${API}/rollback`, {version: v}) : await call("POST", `${API}/publish`, {version: v});
    if (!r.ok) { status(`No se pudo: ${normalise((r.body.detail || [])[0] || {msg: String(r.body.detail)}).message}`); return; }
    published = r.body.published_version;
    await refreshVersions();
    status(`Versión ${published} publicada de nuevo${r.body.dialplan_reloaded ? ": las llamadas nuevas ya la oyen." : "."} El editor sigue mostrando la versión ${version || "—"}.`);
  }

  async function refreshVersions() {
    const r = await call("GET", `${API}/versions`);
    if (r.ok) versions = r.body;
    const f = await call("GET", API);
    if (f.ok) published = f.body.published_version;
    renderVersions();
    renderState();
  }

  const when = iso => {
    if (!iso) return "—";
    const trimmed = iso.replace(/(\.\d{3})\d+/, "$1");
    const d = new Date(/[zZ]|[+-]\d\d:\d\d$/.test(trimmed) ? trimmed : `${trimmed}Z`);
    return new Intl.DateTimeFormat("es", {timeZone: TZ, dateStyle: "short", timeStyle: "short"}).format(d);
  };

  function renderState() {
    const el = document.getElementById("flow-state");
    const shown = versions.find(v => v.version === version);
    const state = version === published ? "publicada" : shown && shown.published_at ? "publicada antes" : "borrador";
    el.replaceChildren(version ? `Versión ${version} (en el editor) · ` : "Flujo nuevo: todavía no tiene versiones guardadas.",
      version ? h("span", {class: version === published ? "badge" : "badge off", text: state}) : "",
      published ? (version === published ? "" : ` · las llamadas oyen la v${published}`) : " · sin publicar");
  }

  function renderVersions() {
    const box = document.getElementById("versions");
    if (!versions.length) { box.replaceChildren(h("p", {class: "muted", text: "Todavía no hay versiones guardadas."})); return; }
    const rows = versions.map(v => {
      const state = v.version === published ? "publicada" : v.published_at ? "publicada antes" : "borrador";
      // data-label: on a phone each row is a block and its cells say what they are (flow_editor.css).
      return h("tr", {dataset: {version: String(v.version)}},
        h("td", {text: `v${v.version}`, dataset: {label: "Versión"}}),
        h("td", {dataset: {label: "Estado"}}, h("span", {class: v.version === published ? "badge" : "badge off", text: state})),
        h("td", {text: `${when(v.created_at)}${v.created_by ? ` · ${v.created_by}` : ""}`, dataset: {label: "Guardada"}}),
        h("td", {text: v.comment || "—", dataset: {label: "Qué cambió"}}),
        h("td", {class: "actions"},
          v.version === version ? h("span", {class: "muted", text: "en el editor"}) :
            h("a", {href: `/ivr/flows/${encodeURIComponent(FLOW)}/edit?version=${v.version}`, text: "Abrir"}),
          !RO && v.version !== published ? h("button", {type: "button", class: "secondary small", dataset: {rollback: String(v.version)},
            text: v.published_at ? "Volver a esta versión" : "Publicar esta versión",
            onclick: () => rollback(v.version, !!v.published_at)}) : null));
    });
    box.replaceChildren(h("div", {class: "table-scroll", tabindex: "0"}, h("table", {},
      h("thead", {}, h("tr", {}, ["Versión", "Estado", `Guardada (${TZ})`, "Qué cambió", ""].map(t => h("th", {text: t})))),
      h("tbody", {}, rows))));
  }

  // The simulator's date and time are typed in the center's zone; the API wants an instant.
  function zonedToIso(local) {
    const [d, t] = local.split("T");
    const [y, mo, da] = d.split("-").map(Number);
    const [hh, mi] = (t || "00:00").split(":").map(Number);
    const guess = Date.UTC(y, mo - 1, da, hh, mi);
    const parts = Object.fromEntries(new Intl.DateTimeFormat("en-US", {timeZone: TZ, hourCycle: "h23", year: "numeric",
      month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit"}).formatToParts(new Date(guess)).map(p => [p.type, p.value]));
    const shown = Date.UTC(+parts.year, +parts.month - 1, +parts.day, +parts.hour % 24, +parts.minute);
    return new Date(guess - (shown - guess)).toISOString();
  }

  async function simulate(ev) {
    ev.preventDefault();
    const err = document.getElementById("sim-digits-error");
    const out = document.getElementById("sim-result");
    err.textContent = "";
    const raw = document.getElementById("sim-digits").value.trim();
    const digits = raw ? raw.split(/\s+/).map(s => (s === "-" ? "" : s)) : [];
    const bad = digits.find(s => /[^0-9*#]/.test(s));
    if (bad !== undefined) { err.textContent = `«${bad}» no es algo que se pueda marcar (0-9, * y #).`; document.getElementById("sim-digits").focus(); return; }
    let v = version;
    if (!RO && (dirty || !version)) {
      v = await saveIfNeeded();
      if (!v) { out.replaceChildren(h("p", {class: "error", text: "Para simular los cambios hay que guardarlos, y no se pudo: vea los problemas marcados."})); return; }
      status(`Borrador guardado como versión ${v} para simularlo.`);
    }
    if (!v) { out.replaceChildren(h("p", {class: "muted", text: "Este flujo no tiene versiones guardadas."})); return; }
    const at = document.getElementById("sim-at").value;
    const body = {digits, version: v, known_caller: document.getElementById("sim-known").checked,
      lookups: document.getElementById("sim-lookups").checked};
    if (at) body.at = zonedToIso(at);
    const r = await call("POST", `${API}/simulate`, body);
    if (!r.ok) { out.replaceChildren(h("p", {class: "error", text: normalise((r.body.detail || [])[0] || {msg: String(r.body.detail)}).message})); return; }
    const words = await call("GET", `/ivr/flows/${encodeURIComponent(FLOW)}/path-words?path=${encodeURIComponent(r.body.path)}`);
    const said = (r.body.said || []).map(s => (prompts.get(s) ? `«${prompts.get(s).text}»` : s));
    out.replaceChildren(
      h("p", {id: "sim-path"}, h("b", {text: "Recorrido: "}), words.ok ? words.body.words : r.body.path),
      h("p", {id: "sim-outcome"}, h("b", {text: "Termina en: "}), OUTCOMES[r.body.outcome] || r.body.outcome),
      ...(said.length ? [h("div", {}, h("b", {text: "Lo que oiría:"}), h("ul", {}, said.map(s => h("li", {text: s}))))] : []),
      h("p", {class: "muted"}, `Versión ${v} · `, h("code", {id: "sim-raw", text: r.body.path})));
    highlight(r.body.path);
  }

  function highlight(path) {
    document.querySelectorAll(".node-card.walked").forEach(c => c.classList.remove("walked"));
    document.querySelectorAll(".walked-badge").forEach(b => { b.hidden = true; b.textContent = ""; });
    path.split(">").slice(1).forEach((step, i) => {
      const card = document.querySelector(`.node-card[data-node="${CSS.escape(step.split(":")[0])}"]`);
      if (!card) return;
      card.classList.add("walked");
      const badge = card.querySelector(".walked-badge");
      badge.hidden = false;
      badge.textContent = badge.textContent ? `${badge.textContent}, ${i + 1}` : `recorrido: paso ${i + 1}`;
    });
  }

  // -- wiring ------------------------------------------------------------------------------------
  const on = (id, ev, fn) => { const el = document.getElementById(id); if (el) el.addEventListener(ev, fn); };
  on("validate", "click", () => validate(true));
  on("save-draft", "click", async () => { const v = await save(); if (v) status(`Borrador guardado: versión ${v}. Las llamadas siguen oyendo la publicada hasta que publique.`); });
  on("publish", "click", publish);
  on("undo", "click", () => {
    if (!undo.length) return;
    def = JSON.parse(undo.pop());
    lastUndoKey = null;
    dirty = true;
    document.getElementById("undo").disabled = !undo.length;
    render();
    status("Cambio deshecho.");
    if (errors.length) validate(false);
  });
  on("add-node", "submit", ev => {
    ev.preventDefault();
    const idInput = document.getElementById("add-id");
    if (addNode(document.getElementById("add-type").value, idInput.value.trim())) idInput.value = "";
  });
  on("simulate", "submit", simulate);
  window.addEventListener("beforeunload", ev => { if (dirty) { ev.preventDefault(); ev.returnValue = ""; } });

  // The sticky toolbar must not hide the field the keyboard moves to: scroll padding as tall as it is.
  const head = root.querySelector(".editor-head");
  const pad = () => {
    const sticky = head && getComputedStyle(head).position === "sticky";
    document.documentElement.style.scrollPaddingTop = sticky ? `${head.offsetHeight + 16}px` : "";
    document.documentElement.style.scrollPaddingBottom = "2rem";
  };
  if (head && window.ResizeObserver) new ResizeObserver(pad).observe(head);
  window.addEventListener("resize", pad);

  render();
  renderVersions();
  renderState();
  pad();
  root.classList.add("ready");
})();
