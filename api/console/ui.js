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

  /** A table: columns [{title, cell: row => node|string, class?}], rows, an empty-state text. */
  function table(columns, rows, empty) {
    if (!rows || rows.length === 0) return h("p.empty", empty || "nothing yet");
    return h("table.grid",
      h("thead", h("tr", columns.map((c) => h("th", c.class ? { class: c.class } : {}, c.title)))),
      h("tbody", rows.map((row) => h("tr", columns.map((c) => h("td", c.class ? { class: c.class } : {}, c.cell(row)))))));
  }

  function pad(n) {
    return String(n).padStart(2, "0");
  }

  /** "2026-11-30 12:31:05" in the browser's time zone (the ISO text as the tooltip). */
  function time(iso) {
    if (!iso) return "";
    const d = new Date(iso);
    if (Number.isNaN(d.getTime())) return String(iso);
    return d.getFullYear() + "-" + pad(d.getMonth() + 1) + "-" + pad(d.getDate()) + " " +
      pad(d.getHours()) + ":" + pad(d.getMinutes()) + ":" + pad(d.getSeconds());
  }

  function timeCell(iso) {
    return iso ? h("span.time", { title: iso }, time(iso)) : "";
  }

  /** Seconds as a scenario time: "T+1:05:00". */
  function scenarioTime(seconds) {
    if (seconds === null || seconds === undefined || Number.isNaN(Number(seconds))) return "";
    const s = Math.max(0, Math.round(Number(seconds)));
    return "T+" + Math.floor(s / 3600) + ":" + pad(Math.floor((s % 3600) / 60)) + ":" + pad(s % 60);
  }

  const LEVEL_NAMES = { I: "I 特别重大", II: "II 重大", III: "III 较大", IV: "IV 一般", non_graded: "非级别 non-graded" };

  function level(value) {
    return h("span.badge.level-" + String(value || "none").replace(/[^\w-]/g, ""), LEVEL_NAMES[value] || String(value));
  }

  /** The exercise mark every drill incident and run carries. */
  function exerciseMark(exerciseId) {
    return h("span.badge.exercise", { title: exerciseId ? "exercise " + exerciseId : "exercise" }, "【演练】 EXERCISE");
  }

  function mode(row) {
    return row.mode === "exercise" ? [exerciseMark(row.exercise_id), row.exercise_id ? h("small", " " + row.exercise_id) : null]
      : h("span.muted", "actual");
  }

  /** A state word as a coloured badge (the class is the state). */
  function state(value) {
    const word = String(value === undefined || value === null ? "—" : value);
    return h("span.badge.state.state-" + word.replace(/[^\w-]/g, "_"), word);
  }

  function text(value) {
    if (value === undefined || value === null) return "";
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
      h("button.link", { type: "button", title: "dismiss", onclick: () => item.remove() }, "×"));
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
    if (status) fill(status, h("span.muted", "sending…"));
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

  function section(title) {
    const body = h("div.body");
    const el = h("section.panel", h("h2", title), body);
    return { el: el, body: body };
  }

  function select(name, options, value) {
    return h("select", { name: name },
      options.map(([v, label]) => h("option", { value: v, selected: v === value }, label)));
  }

  T.ui = {
    h: h, fill: fill, table: table, time: time, timeCell: timeCell, scenarioTime: scenarioTime, level: level,
    mode: mode, exerciseMark: exerciseMark, state: state, text: text, flatten: flatten, flash: flash, clearFlash: clearFlash, flashNext: flashNext,
    showError: showError, reloader: reloader, act: act, section: section, select: select, LEVEL_NAMES: LEVEL_NAMES,
  };
})(window.Tocsin = window.Tocsin || {});
