/* Tocsin console: the incident list (#/incidents) and one incident (#/incidents/{id}). */
"use strict";

(function (T) {
  const { h, fill } = T.ui;
  const ui = T.ui;
  const api = T.api;

  const STATUSES = ["monitoring", "active", "termination_proposed", "closed"];
  const LEVELS = ["I", "II", "III", "IV", "non_graded"];
  const PAGE = 100;
  const MAX_PAGE = 500;
  // Roles that may see personal data (the case line list); the API's api/routers/cases.py has the same list.
  const PERSONAL_DATA_ROLES = ["duty_officer", "commander"];

  function listLink(filters) {
    const search = new URLSearchParams();
    for (const [key, value] of Object.entries(filters)) if (value) search.set(key, value);
    const qs = search.toString();
    return "#/incidents" + (qs ? "?" + qs : "");
  }

  function casesCell(facts) {
    const f = facts || {};
    const parts = [];
    if (f.cases !== undefined) parts.push(f.cases + " cases");
    if (f.hospitalized) parts.push(f.hospitalized + " hosp.");
    if (f.deaths) parts.push(h("strong.danger", f.deaths + " deaths"));
    return parts.length ? parts.map((p, i) => [i ? ", " : "", p]) : h("span.muted", "—");
  }

  function place(location, town) {
    const l = location || {};
    return [l.venue, town || l.town, l.village, l.address, l.admin_code].filter(Boolean).join(" · ") || "—";
  }

  /** #/incidents?status=&level=&mode= — the list, refreshed by the live feed (or every 5 s without it). */
  function listView(root, query) {
    const filters = { status: query.get("status") || "", level: query.get("level") || "", mode: query.get("mode") || "" };
    let limit = PAGE;
    const onChange = (event) => {
      filters[event.target.name] = event.target.value;
      window.location.hash = listLink(filters);
    };
    const form = h("form.filters", { onchange: onChange, onsubmit: (e) => e.preventDefault() },
      h("label", "Status ", ui.select("status", [["", "any"]].concat(STATUSES.map((s) => [s, s])), filters.status)),
      h("label", "Level ", ui.select("level", [["", "any"]].concat(LEVELS.map((l) => [l, ui.LEVEL_NAMES[l]])), filters.level)),
      h("label", "Mode ", ui.select("mode", [["", "any"], ["actual", "actual"], ["exercise", "【演练】 exercise"]], filters.mode)),
      h("a", { href: "#/incidents" }, "clear"));
    const meta = h("span.meta");
    const list = h("div");
    const more = h("div");
    fill(root, h("div.toolbar", h("h1", "Incidents"), form, meta), list, more);

    const columns = [
      { title: "Level", cell: (r) => ui.level(r.level) },
      { title: "Mode", cell: ui.mode },
      { title: "Incident", cell: (r) => h("a", { href: "#/incidents/" + encodeURIComponent(r.id) }, r.id) },
      { title: "Type", cell: (r) => r.incident_type },
      { title: "Status", cell: (r) => ui.state(r.status) },
      { title: "Where", cell: (r) => place(r.location, r.town) },
      { title: "Facts", cell: (r) => casesCell(r.facts) },
      { title: "Reports", cell: (r) => String(r.report_count), class: "num" },
      { title: "Why this level", cell: (r) => h("span.clip", { title: r.explanation || "" }, r.explanation || "") },
      { title: "Opened", cell: (r) => ui.timeCell(r.opened_at) },
      { title: "Updated", cell: (r) => ui.timeCell(r.updated_at) },
    ];

    const reload = ui.reloader(async function () {
      try {
        const page = await api.call("incidents", { query: Object.assign({ limit: limit }, filters) });
        const items = page.items || [];
        const t = ui.table(columns, items, "No incidents match these filters.");
        if (t.tagName === "TABLE") {
          Array.from(t.tBodies[0].rows).forEach((tr, i) => { if (items[i].mode === "exercise") tr.classList.add("exercise-row"); });
        }
        fill(list, t);
        fill(meta, items.length + (page.next_cursor ? "+" : "") + " shown · updated " + ui.time(new Date().toISOString()));
        fill(more, page.next_cursor && limit < MAX_PAGE
          ? h("button", { type: "button", onclick: () => { limit = Math.min(limit + PAGE, MAX_PAGE); reload.now(); } }, "Show more")
          : page.next_cursor ? h("p.muted", "Showing the newest " + MAX_PAGE + "; narrow the filters to see older incidents.") : null);
      } catch (err) {
        ui.showError(err, meta);
      }
    }, 1000);
    reload.now();
    const off = T.feed.subscribe((msg) => { if (msg.kind !== "state") reload.soon(); });
    return () => { off(); reload.dispose(); };
  }

  /** A one-line summary of a timeline event's data. */
  function summary(data) {
    const d = data || {};
    const parts = [];
    const from = d.from_level || d.from;
    const to = d.to_level || d.to;
    if (from || to) parts.push((from || "?") + " → " + (to || "?"));
    for (const key of ["text", "reason", "explanation", "result", "subject", "error"]) {
      if (typeof d[key] === "string" && d[key]) parts.push(d[key]);
    }
    if (d.item && typeof d.item === "object") parts.push((d.item.key || d.key || "") + " " + (d.item.status || ""));
    else if (d.key) parts.push(String(d.key));
    if (Array.isArray(d.items)) parts.push(d.items.length + " steps: " + d.items.map((i) => i.key).slice(0, 8).join(", "));
    if (d.recipient_name) parts.push("to " + d.recipient_name + (d.channel ? " via " + d.channel : ""));
    if (d.by) parts.push("by " + (typeof d.by === "string" ? d.by : d.by.user || ui.text(d.by)));
    return parts.join(" · ");
  }

  function factsTable(detail) {
    const used = ui.flatten(detail.facts);
    const aggregated = new Map(ui.flatten(detail.aggregated_facts || {}));
    const rows = used.map(([key, value]) => ({ key: key, value: value, aggregated: aggregated.get(key) }));
    const verified = detail.verified;
    return [
      ui.table([
        { title: "Fact", cell: (r) => r.key },
        { title: verified ? "In use (verified)" : "In use", cell: (r) => ui.text(r.value), class: "num" },
        { title: "Aggregated from reports", cell: (r) => ui.text(r.aggregated), class: "num" },
      ], rows, "No facts reported."),
      verified ? h("p.note", "Verified by " + ui.text(verified.by) + " at " + ui.time(verified.at) + ": " + ui.text(verified.reason)) : null,
    ];
  }

  /** #/incidents/{id}: summary, facts, level history, tasks, notifications, timeline and the commands. */
  function detailView(root, id) {
    const params = { incident_id: id };
    const banner = h("div");
    const head = h("div.summary");
    const facts = ui.section("Facts");
    const history = ui.section("Level history");
    const tasks = ui.section("Tasks and alerts");
    const notifications = ui.section("Notifications");
    const cases = ui.section("Cases (line list)");
    const me = api.call("whoami").catch(() => null); // who may see the case list; unknown: ask the API
    const timeline = ui.section("Timeline");
    const actions = ui.section("Commands");
    let openSteps = [];

    const done = (message) => { reload.soon(); return message; };
    const send = (name, extra, body) => api.command(name, Object.assign({ incident_id: id }, extra), body)
      .then((outcome) => done(api.outcomeMessage(outcome)));

    // Change level (reason required; lowering is the commander's: the API's 403 says so).
    const levelStatus = h("div.status");
    const levelForm = h("form.stack", {
      onsubmit: (e) => {
        e.preventDefault();
        const f = e.target;
        ui.act(f.querySelector("button"), () => send("decideLevel", {}, { level: f.elements.level.value, reason: f.elements.reason.value })
          .then((m) => { f.elements.reason.value = ""; return m; }), levelStatus);
      },
    }, h("h3", "Change level"),
      h("label", "New level ", ui.select("level", LEVELS.map((l) => [l, ui.LEVEL_NAMES[l]]), "")),
      h("textarea", { name: "reason", rows: 2, required: true, maxlength: 2000, placeholder: "Reason (required)" }),
      h("button", { type: "submit" }, "Change level"),
      h("small.muted", "A duty officer may raise a level; only a commander may lower it."), levelStatus);

    const noteStatus = h("div.status");
    const noteForm = h("form.stack", {
      onsubmit: (e) => {
        e.preventDefault();
        const f = e.target;
        ui.act(f.querySelector("button"), () => send("addNote", {}, { text: f.elements.text.value })
          .then((m) => { f.elements.text.value = ""; return m; }), noteStatus);
      },
    }, h("h3", "Add a note"), h("textarea", { name: "text", rows: 2, required: true, maxlength: 4000 }),
      h("button", { type: "submit" }, "Add note"), noteStatus);

    // End of the response: a duty officer or commander proposes, only a commander approves (the API says so).
    const endStatus = h("div.status");
    const endForm = h("form.stack", { onsubmit: (e) => e.preventDefault() }, h("h3", "End the response"),
      h("textarea", { name: "reason", rows: 2, required: true, maxlength: 2000, placeholder: "Reason (required)" }),
      h("p.buttons",
        ...[["proposeTermination", "Propose termination"], ["approveTermination", "Approve termination"]].map(([name, label]) =>
          h("button", { type: "button", onclick: (e) => {
            const reason = endForm.elements.reason;
            if (!reason.reportValidity()) return;
            ui.act(e.target, () => send(name, {}, { reason: reason.value }).then((m) => { reason.value = ""; return m; }), endStatus);
          } }, label))),
      h("small.muted", "Approving is the commander's; the playbook's termination criteria must be met."), endStatus);

    const completeStatus = h("div.status");
    const stepSelect = h("select", { name: "key", required: true });
    const completeForm = h("form.stack", {
      onsubmit: (e) => {
        e.preventDefault();
        const f = e.target;
        ui.act(f.querySelector("button"), () => send("completeTask", { action_key: stepSelect.value }, { result: f.elements.result.value })
          .then((m) => { f.elements.result.value = ""; return m; }), completeStatus);
      },
    }, h("h3", "Report a task done"), h("label", "Step ", stepSelect),
      h("textarea", { name: "result", rows: 2, maxlength: 4000, placeholder: "What was done" }),
      h("button", { type: "submit" }, "Complete task"), completeStatus);

    const exports = h("p.exports", "Export: ",
      h("button.link", { type: "button", onclick: (e) => ui.act(e.target, () => api.download("exportTimelineCsv", params, {}, id + "-timeline.csv")) }, "timeline CSV"),
      " · ",
      h("button.link", { type: "button", onclick: (e) => ui.act(e.target, () => api.download("exportIcs214", params, { format: "csv" }, id + "-ics214.csv")) }, "ICS 214 (CSV)"));
    fill(actions.body, levelForm, noteForm, completeForm, endForm, exports);

    function fillSteps() {
      const keep = stepSelect.value;
      fill(stepSelect, openSteps.length ? openSteps.map((t) => h("option", { value: t.key, selected: t.key === keep }, t.key + " — " + t.title))
        : h("option", { value: "" }, "no open step"));
    }

    function taskButtons(t) {
      const open = t.status === "pending" || t.status === "acknowledged";
      const buttons = [];
      if (t.kind === "notify" && t.status === "pending") {
        buttons.push(h("button", { type: "button", onclick: (e) => ui.act(e.target, () => send("ackAlert", { action_key: t.key })) }, "Acknowledge alert"));
      } else if (t.kind !== "notify" && t.status === "pending") {
        buttons.push(h("button", { type: "button", onclick: (e) => ui.act(e.target, () => send("ackTask", { action_key: t.key })) }, "Acknowledge"));
      }
      if (t.kind !== "notify" && open) {
        buttons.push(h("button", {
          type: "button", onclick: () => {
            stepSelect.value = t.key;
            completeForm.elements.result.focus();
          },
        }, "Complete…"));
      }
      return buttons;
    }

    const taskColumns = [
      { title: "Step", cell: (t) => [h("strong", t.title), h("br"), h("small.muted", t.key + " · " + t.kind)] },
      { title: "Owner", cell: (t) => t.owner + (t.group ? " (" + t.group + ")" : "") },
      { title: "Level", cell: (t) => t.level },
      { title: "Status", cell: (t) => [ui.state(t.status), t.overdue ? h("span.badge.overdue", "OVERDUE") : null] },
      { title: "Due", cell: (t) => [ui.timeCell(t.due_at), h("small.muted", " (" + t.deadline + ")")] },
      { title: "Esc.", cell: (t) => String(t.escalation_step), class: "num" },
      { title: "Acknowledged", cell: (t) => t.acknowledged_at ? [ui.timeCell(t.acknowledged_at), " ", t.acknowledged_by || ""] : "" },
      { title: "Completed", cell: (t) => t.completed_at ? [ui.timeCell(t.completed_at), " ", t.completed_by || ""] : "" },
      { title: "", cell: taskButtons },
    ];

    function lastAttempt(n) {
      const a = Array.isArray(n.attempts) && n.attempts.length ? n.attempts[n.attempts.length - 1] : null;
      if (!a) return "";
      if (typeof a !== "object") return ui.text(a);
      return [a.status, a.error || a.detail || a.reason].filter(Boolean).join(": ");
    }

    const notificationColumns = [
      { title: "At", cell: (n) => ui.timeCell(n.at) },
      { title: "Recipient", cell: (n) => h("span", { title: n.recipient_id }, n.recipient_name) },
      { title: "Channel", cell: (n) => n.channel },
      { title: "Subject", cell: (n) => n.subject },
      { title: "Step", cell: (n) => n.action_key },
      { title: "Delivery", cell: (n) => ui.state(n.status) },
      { title: "Reason", cell: (n) => [n.fallback_for ? h("strong", "for " + n.fallback_for + ": ") : null, n.reason || ""] },
      { title: "Attempts", cell: (n) => [String((n.attempts || []).length), " ", h("small.muted", lastAttempt(n))] },
    ];

    const timelineColumns = [
      { title: "#", cell: (e) => String(e.seq), class: "num" },
      { title: "At", cell: (e) => ui.timeCell(e.at) },
      { title: "Event", cell: (e) => h("strong", e.type) },
      { title: "What", cell: (e) => h("details", h("summary", summary(e.data) || "details"), h("pre", JSON.stringify(e.data, null, 2))) },
    ];

    const historyColumns = [
      { title: "At", cell: (c) => ui.timeCell(c.at) },
      { title: "Change", cell: (c) => [ui.level(c.from_level), " → ", ui.level(c.to_level)] },
      { title: "Rule / reason", cell: (c) => [c.rule_id ? h("code", c.rule_id) : null, c.rule_id ? " " : null, c.explanation] },
      { title: "Decided by", cell: (c) => c.decided_by || h("span.muted", "rule (automatic)") },
    ];

    fill(root, banner, head, h("div.columns", h("div.col", facts.el, history.el, actions.el),
      h("div.col.wide", tasks.el, cases.el, notifications.el, timeline.el)));

    /** Who a step could not reach and why, and what the reports name that the district does not know. */
    function routingWarnings(d) {
      const lines = (d.warnings || []).map((w) => h("li", w)).concat((d.routing_warnings || []).map((w) =>
        h("li", h("code", w.action_key), " could not reach " + w.who + ": " + w.reason +
          (w.fallback_to ? " — paged " + w.fallback_to + " instead" : "") +
          (w.fallback_error ? " — no fallback: " + w.fallback_error : ""))));
      return lines.length ? h("div.error", h("strong", "Routing warnings"), h("ul", lines)) : null;
    }

    const caseColumns = [
      { title: "Person", cell: (c) => h("code", { title: "from " + c.source + " (report " + c.report_id + ")" }, c.person_key) },
      { title: "Onset", cell: (c) => ui.timeCell(c.onset) },
      { title: "Town", cell: (c) => c.town },
      { title: "Village", cell: (c) => c.village },
      { title: "Status", cell: (c) => ui.state(c.status) },
      { title: "Age", cell: (c) => c.age == null ? "" : String(c.age), class: "num" },
      { title: "Sex", cell: (c) => c.sex || "" },
      { title: "Symptoms", cell: (c) => (c.symptoms || []).join(", ") },
    ];

    /** Which figures come from the case list and which are summed per source (`facts_basis`). */
    function factsBasis(basis) {
      const entries = Object.entries(basis || {});
      return entries.length ? h("dl.facts-line", entries.map(([fact, how]) => [h("dt", fact), h("dd", how)])) : null;
    }

    /** The case line list: personal data, so only for the roles that may see it; others get a note, not an error. */
    async function loadCases() {
      const who = await me;
      const restricted = h("p.note", "The case line list holds personal data: only a duty officer or a commander sees it.");
      if (who && !(who.roles || []).some((r) => PERSONAL_DATA_ROLES.includes(r))) return restricted;
      try {
        const list = await api.call("cases", { params: params });
        return [
          h("p", String(list.count) + " person" + (list.count === 1 ? "" : "s") + " listed · ",
            h("button.link", { type: "button", onclick: (e) => ui.act(e.target, () => api.download("cases", params, { format: "csv" }, id + "-cases.csv")) }, "export CSV")),
          factsBasis(list.facts_basis),
          ui.table(caseColumns, list.cases, "No case list reported: the figures are the sources' own counts."),
        ];
      } catch (err) {
        if (err.status === 403) return restricted;
        return h("p.error", err.message);
      }
    }

    function renderDetail(d) {
      fill(banner, d.mode === "exercise"
        ? h("div.exercise-banner", ui.exerciseMark(d.exercise_id), " Exercise " + (d.exercise_id || "") +
          ": a drill incident. Its messages reach the exercise's participants only.")
        : null);
      fill(head,
        h("h1", ui.level(d.level), " ", d.id, " ", ui.state(d.status)),
        h("dl.facts-line",
          h("dt", "Type"), h("dd", d.incident_type),
          h("dt", "Playbook"), h("dd", d.playbook_id + " v" + d.playbook_version),
          h("dt", "Where"), h("dd", place(d.location, d.town) + (d.venue_type ? " (" + d.venue_type + ")" : "")),
          h("dt", "Reports"), h("dd", String(d.report_count)),
          h("dt", "First report"), h("dd", ui.timeCell(d.first_report_at)),
          h("dt", "Opened"), h("dd", ui.timeCell(d.opened_at)),
          h("dt", "Updated"), h("dd", ui.timeCell(d.updated_at))),
        h("p.explanation", d.rule_id ? h("code", d.rule_id) : null, d.rule_id ? " " : null, d.explanation),
        routingWarnings(d));
      fill(facts.body, factsTable(d));
      fill(history.body, ui.table(historyColumns, (d.level_history || []).slice().reverse(), "No level change yet."));
    }

    const reload = ui.reloader(async function () {
      const [detail, taskList, sent, events, caseList] = await Promise.allSettled([
        api.call("incident", { params: params }), api.call("tasks", { params: params }),
        api.call("notifications", { params: params }), api.call("timeline", { params: params }), loadCases(),
      ]);
      if (detail.status === "fulfilled") renderDetail(detail.value);
      else fill(head, h("h1", id), h("p.error", detail.reason.message));
      if (taskList.status === "fulfilled") {
        openSteps = taskList.value.filter((t) => t.kind !== "notify" && (t.status === "pending" || t.status === "acknowledged"));
        fillSteps();
        const t = ui.table(taskColumns, taskList.value, "No steps planned.");
        if (t.tagName === "TABLE") {
          Array.from(t.tBodies[0].rows).forEach((tr, i) => { if (taskList.value[i].overdue) tr.classList.add("overdue-row"); });
        }
        fill(tasks.body, t);
      } else {
        fill(tasks.body, h("p.error", taskList.reason.message));
      }
      fill(cases.body, caseList.status === "fulfilled" ? caseList.value : h("p.error", String(caseList.reason)));
      fill(notifications.body, sent.status === "fulfilled"
        ? ui.table(notificationColumns, sent.value, "No notifications sent.") : h("p.error", sent.reason.message));
      fill(timeline.body, events.status === "fulfilled"
        ? ui.table(timelineColumns, events.value.slice().reverse(), "Nothing on the timeline.") : h("p.error", events.reason.message));
    }, 300);
    reload.now();
    const off = T.feed.subscribe((msg) => {
      if (msg.kind === "tick" || msg.kind === "resync" || (msg.kind === "event" && msg.event.incident_id === id)) reload.soon();
    });
    return () => { off(); reload.dispose(); };
  }

  T.views = T.views || {};
  T.views.incidents = listView;
  T.views.incident = detailView;
})(window.Tocsin = window.Tocsin || {});
