/* Tocsin console: the API client. Every path the console calls, the token, requests, errors, the live feed. */
"use strict";

(function (T) {
  // Every API operation the console uses, as "METHOD /path/{param}". tests/api/test_console.py checks each
  // one against the app's OpenAPI document, so every API path lives in this table and nowhere else.
  const PATHS = {
    whoami: "GET /api/v1/whoami",
    incidents: "GET /api/v1/incidents",
    incident: "GET /api/v1/incidents/{incident_id}",
    timeline: "GET /api/v1/incidents/{incident_id}/timeline",
    tasks: "GET /api/v1/incidents/{incident_id}/tasks",
    notifications: "GET /api/v1/incidents/{incident_id}/notifications",
    cases: "GET /api/v1/incidents/{incident_id}/cases",
    exportTimelineCsv: "GET /api/v1/incidents/{incident_id}/export/timeline.csv",
    exportIcs214: "GET /api/v1/incidents/{incident_id}/export/ics214",
    ackAlert: "POST /api/v1/incidents/{incident_id}/alerts/{action_key}/ack",
    ackTask: "POST /api/v1/incidents/{incident_id}/tasks/{action_key}/ack",
    completeTask: "POST /api/v1/incidents/{incident_id}/tasks/{action_key}/complete",
    decideLevel: "POST /api/v1/incidents/{incident_id}/level",
    addNote: "POST /api/v1/incidents/{incident_id}/notes",
    proposeTermination: "POST /api/v1/incidents/{incident_id}/termination/propose",
    approveTermination: "POST /api/v1/incidents/{incident_id}/termination/approve",
    updateSignals: "POST /api/v1/incidents/{incident_id}/termination/signals",
    termination: "GET /api/v1/incidents/{incident_id}/termination",
    levelPreview: "GET /api/v1/incidents/{incident_id}/level-preview",
    attention: "GET /api/v1/attention",
    playbookNames: "GET /api/v1/playbooks/{playbook_id}/names",
    assessments: "GET /api/v1/incidents/{incident_id}/assessments",
    recordAssessment: "POST /api/v1/incidents/{incident_id}/assessments",
    publicInfo: "GET /api/v1/incidents/{incident_id}/public-info",
    publicInfoCap: "GET /api/v1/incidents/{incident_id}/public-info/{draft_id}/cap",
    draftPublicInfo: "POST /api/v1/incidents/{incident_id}/public-info",
    editPublicInfo: "PUT /api/v1/incidents/{incident_id}/public-info/{draft_id}",
    approvePublicInfo: "POST /api/v1/incidents/{incident_id}/public-info/{draft_id}/approve",
    withdrawPublicInfo: "POST /api/v1/incidents/{incident_id}/public-info/{draft_id}/withdraw",
    warnings: "GET /api/v1/warnings",
    warning: "GET /api/v1/warnings/{warning_id}",
    warningCap: "GET /api/v1/warnings/{warning_id}/public-info/{draft_id}/cap",
    issueWarning: "POST /api/v1/warnings",
    editWarning: "PUT /api/v1/warnings/{warning_id}/public-info/{draft_id}",
    approveWarning: "POST /api/v1/warnings/{warning_id}/public-info/{draft_id}/approve",
    withdrawWarningDraft: "POST /api/v1/warnings/{warning_id}/public-info/{draft_id}/withdraw",
    adjustWarning: "POST /api/v1/warnings/{warning_id}/adjust",
    liftWarning: "POST /api/v1/warnings/{warning_id}/lift",
    eventStream: "GET /api/v1/events/stream",
    scenarios: "GET /api/v1/drills/scenarios",
    startDrill: "POST /api/v1/drills",
    drills: "GET /api/v1/drills",
    drill: "GET /api/v1/drills/{exercise_id}",
    drillReport: "GET /api/v1/drills/{exercise_id}/report",
    pauseDrill: "POST /api/v1/drills/{exercise_id}/pause",
    resumeDrill: "POST /api/v1/drills/{exercise_id}/resume",
    stopDrill: "POST /api/v1/drills/{exercise_id}/stop",
    drillSpeed: "POST /api/v1/drills/{exercise_id}/speed",
    fireInject: "POST /api/v1/drills/{exercise_id}/injects/{inject_id}/fire",
    holdInject: "POST /api/v1/drills/{exercise_id}/injects/{inject_id}/hold",
    releaseInject: "POST /api/v1/drills/{exercise_id}/injects/{inject_id}/release",
    skipInject: "POST /api/v1/drills/{exercise_id}/injects/{inject_id}/skip",
    cancelInject: "POST /api/v1/drills/{exercise_id}/injects/{inject_id}/cancel",
  };

  const TOKEN_KEY = "tocsin.token";
  const COMMAND_WAIT_SECONDS = 5; // read-your-writes: the API answers once the outcome is known (or pending)
  const POLL_MS = 5000; // refresh interval while the live feed is down
  const STALL_MS = 45000; // the feed sends a keep-alive every 15 s; silence this long means a dead connection
  const MAX_RETRY_MS = 30000;

  // The console is served at <base>/console/; the API lives under the same base (a proxy may add a prefix).
  const BASE = window.location.pathname.replace(/\/console(\/.*)?$/, "");

  /** An API call that failed: HTTP status (0 = no answer) and the API's `detail` text. */
  class ApiError extends Error {
    constructor(status, detail, method, path) {
      super(status ? "HTTP " + status + ": " + detail : detail);
      this.status = status;
      this.detail = detail;
      this.method = method;
      this.path = path;
    }
  }

  function getToken() {
    return window.sessionStorage.getItem(TOKEN_KEY);
  }

  function setToken(token) {
    window.sessionStorage.setItem(TOKEN_KEY, token);
  }

  function clearToken() {
    window.sessionStorage.removeItem(TOKEN_KEY);
  }

  /** [method, url] of the operation `name` with its {params} filled in and `query` appended. */
  function resolve(name, params, query) {
    const spec = PATHS[name];
    if (!spec) throw new Error("unknown API operation " + name);
    const [method, template] = spec.split(" ");
    const path = template.replace(/\{(\w+)\}/g, function (_, key) {
      if (params == null || params[key] == null) throw new Error(name + " needs " + key);
      return encodeURIComponent(String(params[key]));
    });
    const search = new URLSearchParams();
    for (const [key, value] of Object.entries(query || {})) {
      if (value !== undefined && value !== null && value !== "") search.append(key, String(value));
    }
    const qs = search.toString();
    return [method, BASE + path + (qs ? "?" + qs : "")];
  }

  /** The words of an error body: `detail` as given, or each 422 problem as "field: message". */
  function detailText(body, fallback) {
    if (body && typeof body.detail === "string") return body.detail;
    if (body && Array.isArray(body.detail)) {
      return body.detail.map(function (problem) {
        const where = Array.isArray(problem.loc) ? problem.loc.filter((p) => p !== "body").join(".") : "";
        return (where ? where + ": " : "") + (problem.msg || JSON.stringify(problem));
      }).join("; ");
    }
    if (body && body.detail !== undefined) return JSON.stringify(body.detail);
    return fallback;
  }

  async function errorOf(response, method, url) {
    const text = await response.text().catch(() => "");
    let body = null;
    try {
      body = JSON.parse(text);
    } catch (_) {
      body = null;
    }
    const detail = detailText(body, text.trim().slice(0, 300) || response.statusText || "no detail given");
    return new ApiError(response.status, detail, method, url);
  }

  /**
   * Call the operation `name`. Options: params (path), query, body (JSON), accept, headers, signal,
   * raw (return the Response), signingIn (a 401 does not sign out). Resolves to the parsed JSON (or text);
   * rejects with an ApiError.
   */
  async function call(name, options) {
    const opts = options || {};
    const [method, url] = resolve(name, opts.params, opts.query);
    const headers = Object.assign({ Accept: opts.accept || "application/json" }, opts.headers || {});
    const token = getToken();
    if (token) headers.Authorization = "Bearer " + token;
    const init = { method: method, headers: headers, signal: opts.signal, cache: "no-store" };
    if (opts.body !== undefined) {
      headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(opts.body);
    }
    let response;
    try {
      response = await fetch(url, init);
    } catch (err) {
      if (err && err.name === "AbortError") throw err;
      throw new ApiError(0, T.ui.t("error.unreachable", { why: err && err.message ? err.message : err }), method, url);
    }
    if (!response.ok) {
      const error = await errorOf(response, method, url);
      if (response.status === 401 && T.onUnauthorized && !opts.signingIn) T.onUnauthorized(error);
      throw error;
    }
    if (opts.raw) return response;
    const type = response.headers.get("content-type") || "";
    return type.includes("json") ? response.json() : response.text();
  }

  /** A command: POST with ?wait so the answer says applied (200), rejected (409, thrown) or pending (202). */
  function command(name, params, body) {
    return call(name, { params: params, body: body, query: { wait: COMMAND_WAIT_SECONDS } });
  }

  /** What to tell the user about a command outcome ({status, type, detail}): {text, kind: "ok" | "info"}. */
  function outcomeMessage(outcome) {
    const t = T.ui.t;
    if (!outcome || typeof outcome !== "object") return { text: t("outcome.done"), kind: "ok" };
    const what = T.ui.word("command", outcome.type || "command");
    const detail = outcome.detail ? ": " + outcome.detail : "";
    if (outcome.status === "applied") return { text: t("outcome.applied", { what: what }), kind: "ok" };
    if (outcome.status === "pending") return { text: t("outcome.pending", { what: what }) + detail, kind: "info" };
    return { text: t("outcome.accepted", { what: what }) + detail, kind: "info" };
  }

  /** Fetch a file the API serves behind the token and hand it to the browser as a download. */
  async function download(name, params, query, filename) {
    const response = await call(name, { params: params, query: query, accept: "*/*", raw: true });
    const blob = await response.blob();
    const link = document.createElement("a");
    link.href = URL.createObjectURL(blob);
    link.download = filename;
    document.body.appendChild(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(link.href), 60000);
  }

  /** Split SSE text into complete blocks ({id, event, data, retry}) and the incomplete rest. */
  function parseSSE(text) {
    const parts = text.replace(/\r\n/g, "\n").split("\n\n");
    const rest = parts.pop();
    return { blocks: parts.map(parseBlock), rest: rest };
  }

  function parseBlock(raw) {
    const block = { id: null, event: "message", data: null, retry: null };
    const data = [];
    for (const line of raw.split("\n")) {
      if (!line || line.startsWith(":")) continue;
      const colon = line.indexOf(":");
      const field = colon < 0 ? line : line.slice(0, colon);
      let value = colon < 0 ? "" : line.slice(colon + 1);
      if (value.startsWith(" ")) value = value.slice(1);
      if (field === "data") data.push(value);
      else if (field === "id") block.id = value;
      else if (field === "event") block.event = value;
      else if (field === "retry" && /^\d+$/.test(value)) block.retry = Number(value);
    }
    if (data.length) block.data = data.join("\n");
    return block;
  }

  /**
   * The live feed (GET /events/stream). EventSource cannot send the Authorization header, so the feed is
   * read with fetch() and a stream reader. Listeners get {kind: "event", type, event}, {kind: "resync"}
   * (connected: reload what you show), {kind: "tick"} (every 5 s while the feed is down: poll) and
   * {kind: "state", state: "live" | "polling" | "off"}. It reconnects with Last-Event-ID, so nothing is missed.
   */
  class LiveFeed {
    constructor() {
      this.listeners = new Set();
      this.state = "off";
      this.lastId = null;
      this.retryMs = 3000;
      this.failures = 0;
      this.problem = "";
      this.running = false;
      this.controller = null;
      this.timer = null;
      this.poller = null;
    }

    subscribe(listener) {
      this.listeners.add(listener);
      return () => this.listeners.delete(listener);
    }

    emit(message) {
      for (const listener of Array.from(this.listeners)) {
        try {
          listener(message);
        } catch (err) {
          console.error(err);
        }
      }
    }

    setState(state) {
      this.state = state;
      this.emit({ kind: "state", state: state });
    }

    start() {
      if (this.running) return;
      this.running = true;
      this.poller = setInterval(() => {
        if (this.state !== "live") this.emit({ kind: "tick" });
      }, POLL_MS);
      this.setState("polling");
      this.connect();
    }

    stop() {
      this.running = false;
      clearInterval(this.poller);
      clearTimeout(this.timer);
      if (this.controller) this.controller.abort();
      this.controller = null;
      this.lastId = null;
      this.setState("off");
    }

    async connect() {
      const controller = new AbortController();
      this.controller = controller;
      let watchdog = null;
      const kick = () => {
        clearTimeout(watchdog);
        watchdog = setTimeout(() => controller.abort(), STALL_MS);
      };
      try {
        const headers = this.lastId ? { "Last-Event-ID": this.lastId } : {};
        kick();
        const response = await call("eventStream", {
          raw: true, accept: "text/event-stream", headers: headers, signal: controller.signal,
        });
        if (!response.body || !response.body.getReader) throw new Error("this browser cannot read a stream");
        this.failures = 0;
        this.problem = "";
        this.setState("live");
        this.emit({ kind: "resync" });
        const reader = response.body.getReader();
        const decoder = new TextDecoder();
        let buffer = "";
        for (;;) {
          const chunk = await reader.read();
          if (chunk.done) break;
          kick();
          buffer += decoder.decode(chunk.value, { stream: true });
          const parsed = parseSSE(buffer);
          buffer = parsed.rest;
          parsed.blocks.forEach((block) => this.handle(block));
        }
        this.problem = "the server closed the feed";
      } catch (err) {
        this.problem = err && err.message ? err.message : String(err);
      } finally {
        clearTimeout(watchdog);
      }
      if (!this.running || this.controller !== controller) return;
      this.failures += 1;
      this.setState("polling");
      const delay = Math.min(this.retryMs * Math.pow(2, this.failures - 1), MAX_RETRY_MS);
      this.timer = setTimeout(() => this.connect(), delay);
    }

    handle(block) {
      if (block.id !== null) this.lastId = block.id;
      if (block.retry !== null) this.retryMs = block.retry;
      if (block.data === null) return;
      let event;
      try {
        event = JSON.parse(block.data);
      } catch (_) {
        return;
      }
      this.emit({ kind: "event", type: block.event, event: event });
    }
  }

  T.api = {
    PATHS: PATHS, ApiError: ApiError, call: call, command: command, outcomeMessage: outcomeMessage, download: download,
    getToken: getToken, setToken: setToken, clearToken: clearToken, parseSSE: parseSSE,
  };
  T.feed = new LiveFeed();
})(window.Tocsin = window.Tocsin || {});
