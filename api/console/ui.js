/* Tocsin console: DOM helpers and formatting. Data from the API only ever becomes text nodes, never markup. */
"use strict";

(function (T) {
  /**
   * h("tag.class1.class2", {attr: value, onclick: fn}, ...children): an element. Children are nodes, strings
   * (made text nodes), arrays, or null/false (skipped). Attributes starting with "on" become listeners.
   */
  function h(spec, attrs) {
    const [tag, ...classes] = spec.split(".");
    const el = document.createElement(tag || "div");
    if (classes.length) el.className = classes.join(" ");
    let children = Array.prototype.slice.call(arguments, 2);
    if (attrs === null || typeof attrs !== "object" || attrs instanceof Node || Array.isArray(attrs)) {
      children = [attrs].concat(children);
    } else {
      for (const [key, value] of Object.entries(attrs)) {
        if (value === undefined || value === null || value === false) continue;
        if (key.startsWith("on") && typeof value === "function") el.addEventListener(key.slice(2), value);
        else if (key === "class") el.className = (el.className ? el.className + " " : "") + value;
        else if (key in el && typeof value !== "string") el[key] = value;
        else el.setAttribute(key, value === true ? "" : String(value));
      }
    }
    append(el, children);
    return el;
  }

  function append(el, children) {
    for (const child of children) {
      if (child === undefined || child === null || child === false) continue;
      if (Array.isArray(child)) append(el, child);
      else el.appendChild(child instanceof Node ? child : document.createTextNode(String(child)));
    }
  }

  /** Replace the children of `el`. */
  function fill(el) {
    el.replaceChildren();
    append(el, Array.prototype.slice.call(arguments, 1));
    return el;
  }

  // ---- language: one dictionary file per language (lang-zh.js, lang-en.js); Chinese unless the user switches.
  const LANG_KEY = "tocsin.lang";
  const LANGS = ["zh", "en"];

  function lang() {
    const chosen = window.localStorage.getItem(LANG_KEY);
    return LANGS.includes(chosen) ? chosen : "zh";
  }

  function setLang(value) {
    window.localStorage.setItem(LANG_KEY, LANGS.includes(value) ? value : "zh");
    document.documentElement.lang = lang() === "zh" ? "zh-CN" : "en";
  }

  /** The text of `key` in the user's language ({name} filled from `params`); the key itself if no dictionary has it. */
  function t(key, params) {
    const dicts = T.dict || {};
    let text = (dicts[lang()] || {})[key];
    if (text === undefined) text = (dicts.zh || {})[key];
    if (text === undefined) return key;
    return params ? text.replace(/\{(\w+)\}/g, (_, name) => (params[name] === undefined || params[name] === null ? "" : String(params[name]))) : text;
  }

  /** A value of an enumeration (state, event type, channel, ...) in words; the value as is when unknown. */
  function word(group, value) {
    if (value === undefined || value === null || value === "") return "";
    const key = group + "." + value;
    const text = t(key);
    return text === key ? String(value) : text;
  }

  // ---- time: every time in the district's zone (GET /whoami time_zone), labelled with the zone.
  let zone = "Asia/Shanghai";
  let formatter = null;

  function setZone(value) {
    try {
      new Intl.DateTimeFormat("en-CA", { timeZone: value });
      zone = value;
    } catch (_) {
      zone = "Asia/Shanghai";
    }
    formatter = null;
  }

  function zoneParts(date) {
    if (!formatter) {
      formatter = new Intl.DateTimeFormat("en-CA", {
        timeZone: zone, year: "numeric", month: "2-digit", day: "2-digit",
        hour: "2-digit", minute: "2-digit", second: "2-digit", hourCycle: "h23",
      });
    }
    const out = {};
    for (const part of formatter.formatToParts(date)) out[part.type] = part.value;
    return out;
  }

  /** The zone's offset from UTC at `date`, in minutes. */
  function offsetMinutes(date) {
    const p = zoneParts(date);
    const asUtc = Date.UTC(Number(p.year), Number(p.month) - 1, Number(p.day), Number(p.hour), Number(p.minute), Number(p.second));
    return Math.round((asUtc - Math.floor(date.getTime() / 1000) * 1000) / 60000);
  }

  /** "UTC+8" for the district's zone now. */
  function offsetText(date) {
    const minutes = offsetMinutes(date || new Date());
    const sign = minutes < 0 ? "-" : "+";
    const abs = Math.abs(minutes);
    return "UTC" + sign + Math.floor(abs / 60) + (abs % 60 ? ":" + pad(abs % 60) : "");
  }

  /** "Asia/Shanghai (UTC+8)": the label of every time on screen. */
  function zoneLabel() {
    return zone + " (" + offsetText(new Date()) + ")";
  }

  /** "2026-11-30 12:31:05" in the district's zone. */
  function time(iso) {
    if (!iso) return "";
    const d = new Date(iso);
    if (Number.isNaN(d.getTime())) return String(iso);
    const p = zoneParts(d);
    return p.year + "-" + p.month + "-" + p.day + " " + p.hour + ":" + p.minute + ":" + p.second;
  }

  /** "2026-11-30T12:31" in the district's zone, for a datetime-local input. */
  function localInput(iso) {
    const text = time(iso);
    return text ? text.slice(0, 16).replace(" ", "T") : "";
  }

  /** A datetime-local value read as the district's wall time, as an ISO-8601 instant. */
  function fromLocalInput(value) {
    const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})/.exec(value || "");
    if (!m) return null;
    const guess = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]));
    return new Date(guess - offsetMinutes(new Date(guess)) * 60000).toISOString();
  }

  /** A real (wall-clock) time in the district's zone; the tooltip names the zone and the ISO text. */
  function timeCell(iso) {
    return iso ? h("time.time", { datetime: iso, title: iso + " — " + zoneLabel() }, time(iso)) : "";
  }

  /** Seconds as a scenario time: "T+1:05:00". */
  function scenarioTime(seconds) {
    if (seconds === null || seconds === undefined || Number.isNaN(Number(seconds))) return "";
    const s = Math.max(0, Math.round(Number(seconds)));
    return "T+" + Math.floor(s / 3600) + ":" + pad(Math.floor((s % 3600) / 60)) + ":" + pad(s % 60);
  }

  /** Scenario time, marked so it is never taken for real time: a "推演" tag, its own colour and border. */
  function scenarioCell(text) {
    return text ? h("span.scenario-time", { title: t("time.scenarioTitle") }, h("span.tag", t("time.scenario")), " ", text) : "";
  }

  /** A table: columns [{title, cell: row => node|string, class?}], rows, an empty-state text. On a narrow screen
   * each row becomes a card whose cells carry their column's title (data-label), unless `keep` (short tables
   * of figures that fit anywhere). */
  function table(columns, rows, empty, keep) {
    if (!rows || rows.length === 0) return h("p.empty", empty || t("common.nothing"));
    return h("table.grid" + (keep ? ".keep" : ""),
      h("thead", h("tr", columns.map((c) => h("th", c.class ? { class: c.class, scope: "col" } : { scope: "col" }, c.title)))),
      h("tbody", rows.map((row) => h("tr", columns.map((c) => h("td", { class: c.class, "data-label": c.title }, c.cell(row)))))));
  }

  function pad(n) {
    return String(n).padStart(2, "0");
  }

  const LEVELS = ["I", "II", "III", "IV", "non_graded"];

  function levelName(value) {
    return word("level", value);
  }

  function level(value) {
    return h("span.badge.level-" + String(value || "none").replace(/[^\w-]/g, ""), levelName(value));
  }

  /** The exercise mark every drill incident and run carries. */
  function exerciseMark(exerciseId) {
    return h("span.badge.exercise", { title: exerciseId ? t("mode.exerciseOf", { id: exerciseId }) : t("mode.exercise") }, "【演练】 EXERCISE");
  }

  function mode(row) {
    return row.mode === "exercise" ? [exerciseMark(row.exercise_id), row.exercise_id ? h("small", " " + row.exercise_id) : null]
      : h("span.muted", t("mode.actual"));
  }

  /** A state word as a coloured badge (the class is the state). */
  function state(value) {
    const raw = String(value === undefined || value === null ? "—" : value);
    return h("span.badge.state.state-" + raw.replace(/[^\w-]/g, "_"), word("state", raw) || raw);
  }

  function text(value) {
    if (value === undefined || value === null) return "";
    if (typeof value === "boolean") return value ? t("common.yes") : t("common.no");
    if (typeof value === "object") return JSON.stringify(value);
    return String(value);
  }

  /** Flattened key/value pairs of a facts-like object: {regions: {townships: 2}} → "regions.townships": 2. */
  function flatten(obj, prefix, out) {
    const pairs = out || [];
    for (const [key, value] of Object.entries(obj || {})) {
      const name = prefix ? prefix + "." + key : key;
      if (value && typeof value === "object" && !Array.isArray(value)) flatten(value, name, pairs);
      else pairs.push([name, value]);
    }
    return pairs;
  }

  /** Why a level is what it is, in words: the grading rule's title (the engine's text as the tooltip), or a
   * person's decision with their reason. */
  function explain(explanation, ruleId, ruleTitles) {
    const raw = explanation || "";
    const title = ruleId && ruleTitles ? ruleTitles[ruleId] : null;
    if (title) return h("span.explain", { title: raw }, t("explain.rule", { title: title }));
    const decided = /^(\w+): decided by (.+?): ([\s\S]*)$/.exec(raw);
    if (decided) return h("span.explain", { title: raw }, t("explain.decided", { level: levelName(decided[1]), by: decided[2], reason: decided[3] }));
    if (/^non_graded: /.test(raw)) return h("span.explain", { title: raw }, t("explain.noRule"));
    return h("span.explain", raw);
  }

  /** A labelled control: <label>text control</label> (every input has a label). */
  function field(label, control, hint) {
    return h("label.field", h("span.label", label), control, hint ? h("small.muted", hint) : null);
  }

  const flashArea = () => document.getElementById("flash");

  let carried = [];

  /** Remove the messages at the top (a new view starts clean), then show those carried over to it. */
  function clearFlash() {
    const area = flashArea();
    if (area) area.replaceChildren();
    const pending = carried;
    carried = [];
    pending.forEach((m) => flash(m.text, m.kind));
  }

  /** A message for the view about to open (e.g. "drill started" shown on the run's page). */
  function flashNext(text, kind) {
    carried.push({ text: text, kind: kind });
  }

  /** A message at the top of the page: kind "error" stays until closed, others fade after 6 s. */
  function flash(message, kind) {
    const area = flashArea();
    if (!area) return;
    const item = h("div.flash." + (kind || "info"), h("span", message),
      h("button.link", { type: "button", title: t("common.dismiss"), "aria-label": t("common.dismiss"), onclick: () => item.remove() }, "×"));
    area.appendChild(item);
    while (area.children.length > 4) area.firstChild.remove();
    if (kind !== "error") setTimeout(() => item.remove(), 6000);
  }

  /** Show an error (an ApiError says the API's detail) at the top, and in `where` if given. */
  function showError(err, where) {
    if (err && err.name === "AbortError") return;
    const message = err && err.message ? err.message : String(err);
    flash(message, "error");
    if (where) fill(where, h("span.error", message));
  }

  /**
   * A reloader for a view: run(fn) coalesces calls (one load at a time, at most one queued), and stops
   * once disposed.
   */
  function reloader(load, delayMs) {
    let busy = false;
    let queued = false;
    let timer = null;
    let disposed = false;
    async function go() {
      timer = null;
      if (disposed) return;
      if (busy) {
        queued = true;
        return;
      }
      busy = true;
      try {
        await load();
      } finally {
        busy = false;
        if (queued && !disposed) {
          queued = false;
          schedule();
        }
      }
    }
    function schedule() {
      if (timer === null && !disposed) timer = setTimeout(go, delayMs || 0);
    }
    return { now: go, soon: schedule, dispose: () => { disposed = true; clearTimeout(timer); } };
  }

  /**
   * Run an action from a button: disable it meanwhile, then report what `work` resolved to (a string, or
   * {text, kind}) or the API's error, at the top and in `status`.
   */
  async function act(button, work, status) {
    if (button) button.disabled = true;
    if (status) fill(status, h("span.muted", t("common.sending")));
    try {
      const result = await work();
      const message = typeof result === "string" ? { text: result, kind: "ok" } : result;
      if (message && message.text) {
        flash(message.text, message.kind);
        if (status) fill(status, h("span." + message.kind, message.text));
      } else if (status) {
        fill(status);
      }
      return true;
    } catch (err) {
      showError(err, status);
      return false;
    } finally {
      if (button) button.disabled = false;
    }
  }

  let selectCount = 0;

  /**
   * A modal dialog (<dialog>): title, body nodes, and buttons [{label, value, primary}]. Resolves to the value of
   * the button pressed (null for Esc). Focus starts on the first control; Esc cancels.
   */
  function modal(title, body, buttons) {
    return new Promise((resolve) => {
      const id = "dialog-title-" + (++selectCount);
      const dialog = h("dialog.modal", { "aria-labelledby": id },
        h("h2", { id: id }, title), h("div.dialog-body", body),
        h("p.buttons", buttons.map((b) => h("button" + (b.primary ? ".primary" : ""), {
          type: "button", "data-value": String(b.value), onclick: () => { dialog.close(); resolve(b.value); },
        }, b.label))));
      dialog.addEventListener("cancel", () => resolve(null));
      dialog.addEventListener("close", () => dialog.remove());
      document.body.appendChild(dialog);
      dialog.showModal();
    });
  }

  /** Ask before an action that cannot be taken back: resolves true only for the confirm button. */
  async function confirmDialog(title, body, confirmLabel) {
    const answer = await modal(title, body, [
      { label: t("common.cancel"), value: false }, { label: confirmLabel || t("common.confirm"), value: true, primary: true },
    ]);
    return answer === true;
  }

  function section(title) {
    const body = h("div.body");
    const el = h("section.panel", h("h2", title), body);
    return { el: el, body: body };
  }

  function select(name, options, value) {
    return h("select", { name: name, id: "f-" + name + "-" + (++selectCount) },
      options.map(([v, label]) => h("option", { value: v, selected: v === value }, label)));
  }

  T.ui = {
    h: h, fill: fill, table: table, time: time, timeCell: timeCell, scenarioTime: scenarioTime, scenarioCell: scenarioCell,
    level: level, levelName: levelName, LEVELS: LEVELS, mode: mode, exerciseMark: exerciseMark, state: state, text: text,
    flatten: flatten, flash: flash, clearFlash: clearFlash, flashNext: flashNext, showError: showError, reloader: reloader,
    act: act, section: section, select: select, field: field, explain: explain, modal: modal, confirmDialog: confirmDialog, t: t, word: word, lang: lang, setLang: setLang,
    setZone: setZone, zoneLabel: zoneLabel, localInput: localInput, fromLocalInput: fromLocalInput,
  };
})(window.Tocsin = window.Tocsin || {});
