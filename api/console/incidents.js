/* Tocsin console: the incident list (#/incidents) and one incident (#/incidents/{id}). */
"use strict";

(function (T) {
  const { h, fill, t } = T.ui;
  const ui = T.ui;
  const api = T.api;

  const STATUSES = ["monitoring", "active", "termination_proposed", "closed"];
  const PAGE = 100;
  const MAX_PAGE = 500;
  // Roles that may see personal data (the case line list); the API's api/routers/cases.py has the same list.
  const PERSONAL_DATA_ROLES = ["duty_officer", "commander"];
  // The timeline shows these by default: decisions, level changes, escalations, failures, notes. Deliveries and
  // routine step changes are one click away.
  const KEY_EVENTS = ["IncidentOpened", "LevelChanged", "FactsVerified", "NoteAdded", "TerminationSignalsUpdated",
    "TerminationProposed", "IncidentClosed", "NotificationFailed", "CommandRejected"];
  const KEY_STEP_CHANGES = ["escalated", "superseded"];

  const names = new Map(); // playbook id → Promise of its names (GET /playbooks/{id}/names)

  function playbookNames(playbookId) {
    if (!playbookId) return Promise.resolve(null);
    if (!names.has(playbookId)) {
      names.set(playbookId, api.call("playbookNames", { params: { playbook_id: playbookId } }).catch(() => null));
    }
    return names.get(playbookId);
  }

  function listLink(filters) {
    const search = new URLSearchParams();
    for (const [key, value] of Object.entries(filters)) if (value) search.set(key, value);
    const qs = search.toString();
    return "#/incidents" + (qs ? "?" + qs : "");
  }

  function casesCell(facts) {
    const f = facts || {};
    const parts = [];
    if (f.cases !== undefined) parts.push(t("facts.casesShort", { n: f.cases }));
    if (f.hospitalized) parts.push(t("facts.hospitalizedShort", { n: f.hospitalized }));
    if (f.deaths) parts.push(h("strong.danger", t("facts.deathsShort", { n: f.deaths })));
    return parts.length ? parts.map((p, i) => [i ? "，" : "", p]) : h("span.muted", "—");
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
    const any = [["", t("filter.any")]];
    const form = h("form.filters", { onchange: onChange, onsubmit: (e) => e.preventDefault() },
      ui.field(t("filter.status"), ui.select("status", any.concat(STATUSES.map((s) => [s, ui.word("state", s)])), filters.status)),
      ui.field(t("filter.level"), ui.select("level", any.concat(ui.LEVELS.map((l) => [l, ui.levelName(l)])), filters.level)),
      ui.field(t("filter.mode"), ui.select("mode", any.concat([["actual", t("mode.actual")], ["exercise", "【演练】 " + t("mode.exercise")]]), filters.mode)),
      h("a", { href: "#/incidents" }, t("filter.clear")));
    const meta = h("span.meta", { role: "status" }, t("common.loading"));
    const list = h("div.list-wrap", { "aria-busy": "true" });
    const more = h("div");
    fill(root, h("div.toolbar", h("h1", t("incidents.title")), form, meta), list, more);

    const columns = [
      { title: t("col.level"), cell: (r) => ui.level(r.level) },
      { title: t("col.incident"), cell: (r) => [h("a", { href: "#/incidents/" + encodeURIComponent(r.id) }, place(r.location, r.town)), h("br"), h("small.muted", r.id)] },
      { title: t("col.mode"), cell: ui.mode },
      { title: t("col.status"), cell: (r) => ui.state(r.status) },
      { title: t("col.facts"), cell: (r) => casesCell(r.facts) },
      { title: t("col.reports"), cell: (r) => String(r.report_count), class: "num" },
      { title: t("col.why"), cell: (r) => h("span.clip", ui.explain(r.explanation, r.rule_id, ruleTitles[r.incident_type])) },
      { title: t("col.opened"), cell: (r) => ui.timeCell(r.opened_at) },
      { title: t("col.updated"), cell: (r) => ui.timeCell(r.updated_at) },
    ];

    const ruleTitles = {}; // incident type → {rule id: title}
    const reload = ui.reloader(async function () {
      try {
        const page = await api.call("incidents", { query: Object.assign({ limit: limit }, filters) });
        const items = page.items || [];
        for (const type of new Set(items.map((r) => r.incident_type))) {
          if (!(type in ruleTitles)) ruleTitles[type] = ((await playbookNames(type)) || {}).rules || {};
        }
        const table = ui.table(columns, items, t("incidents.none"));
        if (table.tagName === "TABLE") {
          Array.from(table.tBodies[0].rows).forEach((tr, i) => { if (items[i].mode === "exercise") tr.classList.add("exercise-row"); });
        }
        list.removeAttribute("aria-busy");
        fill(list, table);
        fill(meta, t("incidents.shown", { n: items.length + (page.next_cursor ? "+" : ""), time: ui.time(new Date().toISOString()) }));
        fill(more, page.next_cursor && limit < MAX_PAGE
          ? h("button", { type: "button", onclick: () => { limit = Math.min(limit + PAGE, MAX_PAGE); reload.now(); } }, t("incidents.more"))
          : page.next_cursor ? h("p.muted", t("incidents.capped", { n: MAX_PAGE })) : null);
      } catch (err) {
        list.removeAttribute("aria-busy");
        ui.showError(err, meta);
      }
    }, 1000);
    reload.now();
    const off = T.feed.subscribe((msg) => { if (msg.kind !== "state") reload.soon(); });
    return () => { off(); reload.dispose(); };
  }

  /** A one-line summary of a timeline event's data, in words. */
  function summary(entry, rules) {
    const d = entry.data || {};
    const parts = [];
    const from = d.from_level || d.from;
    const to = d.to_level || d.to;
    if (from || to) parts.push(ui.levelName(from || "?") + " → " + ui.levelName(to || "?"));
    if (d.change) parts.push(ui.word("change", d.change));
    if (d.item && typeof d.item === "object" && d.item.title) parts.push(d.item.title);
    if (typeof d.explanation === "string" && d.explanation) parts.push(ui.explain(d.explanation, d.rule_id, rules).textContent);
    for (const key of ["text", "reason", "result", "subject", "error"]) {
      if (typeof d[key] === "string" && d[key]) parts.push(d[key]);
    }
    if (Array.isArray(d.items)) parts.push(t("timeline.steps", { n: d.items.length }) + d.items.map((i) => i.title || i.key).slice(0, 6).join("、"));
    if (d.signals && typeof d.signals === "object") {
      parts.push(Object.entries(d.signals).map(([k, v]) => ui.word("signal", k) + "=" + (typeof v === "string" ? ui.time(v) || v : ui.text(v))).join("，"));
    }
    if (d.recipient_name) parts.push(t("delivery.line", { recipient: d.recipient_name, channel: ui.word("channel", d.channel) || "—" }));
    if (d.by) parts.push(t("timeline.by", { by: typeof d.by === "string" ? d.by : d.by.user || ui.text(d.by) }));
    return parts.join(" · ");
  }

  function factsTable(detail) {
    const used = ui.flatten(detail.facts);
    const aggregated = new Map(ui.flatten(detail.aggregated_facts || {}));
    const rows = used.map(([key, value]) => ({ key: key, value: value, aggregated: aggregated.get(key) }));
    const verified = detail.verified;
    return [
      ui.table([
        { title: t("facts.fact"), cell: (r) => ui.word("fact", r.key) },
        { title: verified ? t("facts.inUseVerified") : t("facts.inUse"), cell: (r) => ui.text(r.value), class: "num" },
        { title: t("facts.aggregated"), cell: (r) => ui.text(r.aggregated), class: "num" },
      ], rows, t("facts.none"), true),
      verified ? h("p.note", t("facts.verifiedBy", { by: ui.text(verified.by), time: ui.time(verified.at), reason: ui.text(verified.reason) })) : null,
    ];
  }

  /** #/incidents/{id}: summary, facts, level history, tasks, notifications, timeline and the commands. */
  function detailView(root, id) {
    const params = { incident_id: id };
    const banner = h("div");
    const head = h("div.summary", { role: "status" }, h("h1", id), h("p.muted", t("common.loading")));
    const facts = ui.section(t("panel.facts"));
    const history = ui.section(t("panel.history"));
    const tasks = ui.section(t("panel.tasks"));
    const notifications = ui.section(t("panel.notifications"));
    const cases = ui.section(t("panel.cases"));
    const ending = ui.section(t("panel.termination"));
    const me = api.call("whoami").catch(() => null); // who may see the case list; unknown: ask the API
    const timeline = ui.section(t("panel.timeline"));
    const actions = ui.section(t("panel.commands"));
    const assessing = ui.section(t("panel.assessments"));
    const publishing = ui.section(t("panel.publicInfo"));
    publishing.el.id = "public-info";
    let detail = null;
    let labels = null;
    let allTasks = [];
    const unit = (key) => (labels && (labels.units[key] || labels.roles[key])) || ui.word("unit", key);

    const done = (message) => { reload.soon(); return message; };
    const send = (name, extra, body) => api.command(name, Object.assign({ incident_id: id }, extra), body)
      .then((outcome) => done(api.outcomeMessage(outcome)));

    // Commands stay disabled until the incident has loaded, and for good when it does not exist (404).
    const commands = h("fieldset.commands", { disabled: true, "aria-busy": "true" }, h("legend.visually-hidden", t("panel.commands")));

    const levelStatus = h("div.status", { role: "status" });
    const levelButton = h("button", { type: "button", "data-action": "change-level", onclick: () => levelDialog() }, t("level.change"));

    const noteStatus = h("div.status", { role: "status" });
    const noteForm = h("form.stack", {
      onsubmit: (e) => {
        e.preventDefault();
        const f = e.target;
        ui.act(f.querySelector("button"), () => send("addNote", {}, { text: f.elements.text.value })
          .then((m) => { f.elements.text.value = ""; return m; }), noteStatus);
      },
    }, h("h3", t("note.title")), ui.field(t("note.text"), h("textarea", { name: "text", rows: 2, required: true, maxlength: 4000 })),
      h("button", { type: "submit" }, t("note.submit")), noteStatus);

    const exports = h("p.exports", t("export.title"), " ",
      h("button.link", { type: "button", onclick: (e) => ui.act(e.target, () => api.download("exportTimelineCsv", params, {}, id + "-timeline.csv")) }, t("export.timeline")),
      " · ",
      h("button.link", { type: "button", onclick: (e) => ui.act(e.target, () => api.download("exportIcs214", params, { format: "csv" }, id + "-ics214.csv")) }, t("export.ics214")));
    fill(commands, h("legend.visually-hidden", t("panel.commands")), h("h3", t("level.title")), h("p", levelButton),
      h("small.muted", t("level.rule")), levelStatus, noteForm, exports);
    fill(actions.body, commands);

    /** The level dialog: no level chosen by default; shows what the change would start, stop and page; confirms. */
    async function levelDialog() {
      const current = detail ? detail.level : "";
      const choice = ui.select("level", [["", t("level.choose")]].concat(ui.LEVELS.filter((l) => l !== current).map((l) => [l, ui.levelName(l)])), "");
      choice.required = true;
      const reason = h("textarea", { name: "reason", rows: 3, required: true, maxlength: 2000 });
      const effect = h("div.effect", { "aria-live": "polite" }, h("p.muted", t("level.pickFirst")));
      let preview = null;
      const confirm = () => dialog.querySelector("button.primary");
      const refresh = () => {
        const ok = preview && !preview.refusal && choice.value === preview.to_level && reason.value.trim().length > 0;
        confirm().disabled = !ok;
        confirm().textContent = preview && choice.value ? t("level.confirm", { level: ui.levelName(choice.value) }) : t("level.confirmPlain");
      };
      choice.addEventListener("change", async () => {
        preview = null;
        refresh();
        if (!choice.value) return;
        fill(effect, h("p.muted", t("common.loading")));
        try {
          preview = await api.call("levelPreview", { params: params, query: { level: choice.value } });
          fill(effect, previewText(preview));
        } catch (err) {
          fill(effect, h("p.error", err.message));
        }
        refresh();
      });
      reason.addEventListener("input", refresh);
      const body = [h("p", t("level.current"), " ", ui.level(current)), ui.field(t("level.new"), choice),
        ui.field(t("level.reason"), reason), effect];
      const answer = ui.modal(t("level.dialogTitle"), body, [
        { label: t("common.cancel"), value: false }, { label: t("level.confirmPlain"), value: true, primary: true },
      ]);
      const dialog = document.querySelector("dialog.modal:last-of-type");
      refresh();
      choice.focus();
      if (await answer !== true) return;
      const level = choice.value;
      const text = reason.value;
      ui.act(levelButton, () => send("decideLevel", {}, { level: level, reason: text }), levelStatus);
    }

    function previewText(p) {
      if (p.needs_assessment) return h("p.error", t("level.needsAssessment"));
      if (p.refusal) return h("p.error", t("level.refused", { why: p.refusal }));
      const steps = (list) => h("ul", list.map((s) => h("li", h("strong", s.title), " — ", s.owner_name,
        s.due_at ? [" · ", t("level.dueBy"), " ", ui.timeCell(s.due_at)] : null)));
      return [
        p.is_raise ? h("p", t("level.raiseNote", { lead: p.lead || "—" })) : h("p", t("level.lowerNote")),
        h("h3", t("level.paged", { n: p.paged.length })), p.paged.length ? h("p", p.paged.join("、")) : h("p.muted", t("level.nobody")),
        h("h3", t("level.starts", { n: p.start.length })), p.start.length ? steps(p.start) : h("p.muted", t("level.noSteps")),
        h("h3", t("level.stops", { n: p.stop.length })), p.stop.length ? h("ul", p.stop.map((s) => h("li", s.title))) : h("p.muted", t("level.noSteps")),
      ];
    }

    // ---- tasks and alerts: actions stay on their row; "Complete…" opens a form inside the row.
    function taskButtons(task) {
      const open = task.status === "pending" || task.status === "acknowledged";
      const buttons = [];
      if (task.kind === "notify" && task.status === "pending") {
        buttons.push(h("button.small", { type: "button", "data-action": "ack-alert", onclick: (e) => ui.act(e.target, () => send("ackAlert", { action_key: task.key })) }, t("task.ackAlert")));
      } else if (task.kind !== "notify" && task.status === "pending") {
        buttons.push(h("button.small", { type: "button", "data-action": "ack-task", onclick: (e) => ui.act(e.target, () => send("ackTask", { action_key: task.key })) }, t("task.ack")));
      }
      if (task.kind !== "notify" && open) {
        buttons.push(h("button.small", { type: "button", "data-action": "complete-task", "aria-expanded": "false", onclick: (e) => toggleComplete(e.target, task) }, t("task.complete")));
      }
      return h("div.row-actions", buttons);
    }

    function toggleComplete(button, task) {
      const cell = button.closest("td");
      const existing = cell.querySelector("form");
      if (existing) {
        existing.remove();
        button.setAttribute("aria-expanded", "false");
        return;
      }
      const status = h("div.status", { role: "status" });
      const form = h("form.stack.inline-complete", {
        onsubmit: (e) => {
          e.preventDefault();
          ui.act(form.querySelector("button[type=submit]"), () => send("completeTask", { action_key: task.key }, { result: form.elements.result.value }), status)
            .then((ok) => {
              if (!ok) return;
              form.remove();
              pinned.delete(task.key);
              reload.soon();
            });
        },
      }, ui.field(t("task.result", { title: task.title }), h("textarea", { name: "result", rows: 2, maxlength: 4000 })),
        h("button", { type: "submit" }, t("task.completeSubmit")), status);
      cell.appendChild(form);
      button.setAttribute("aria-expanded", "true");
      form.elements.result.focus();
      pinned.add(task.key);
    }
    const pinned = new Set(); // steps whose completion form is open: not re-rendered under the user's hands

    const taskColumns = [
      { title: t("col.step"), cell: (task) => [h("strong", task.title), h("br"), h("small.muted", ui.word("kind", task.kind))] },
      { title: t("col.owner"), cell: (task) => unit(task.owner) + (task.group ? "（" + unit(task.group) + "）" : "") },
      { title: t("col.level"), cell: (task) => ui.levelName(task.level) },
      { title: t("col.status"), cell: (task) => [ui.state(task.status), task.overdue ? h("span.badge.overdue", t("task.overdue")) : null] },
      { title: t("col.due"), cell: (task) => [ui.timeCell(task.due_at), " ", h("small.muted", "（" + t("task.deadline", { d: task.deadline }) + "）")] },
      { title: t("col.escalation"), cell: (task) => String(task.escalation_step), class: "num" },
      { title: t("col.acknowledged"), cell: (task) => task.acknowledged_at ? [ui.timeCell(task.acknowledged_at), " ", task.acknowledged_by || ""] : "" },
      { title: t("col.completed"), cell: (task) => task.completed_at ? [ui.timeCell(task.completed_at), " ", task.completed_by || ""] : "" },
      { title: t("col.actions"), cell: taskButtons, class: "actions" },
    ];

    function lastAttempt(n) {
      const a = Array.isArray(n.attempts) && n.attempts.length ? n.attempts[n.attempts.length - 1] : null;
      if (!a || typeof a !== "object") return "";
      return a.error || a.detail || a.reason || "";
    }

    const notificationColumns = [
      { title: t("col.at"), cell: (n) => ui.timeCell(n.at) },
      { title: t("col.recipient"), cell: (n) => h("span", { title: n.recipient_id }, n.recipient_name || n.recipient_id || "—") },
      { title: t("col.channel"), cell: (n) => ui.word("channel", n.channel) || "—" },
      { title: t("col.subject"), cell: (n) => n.subject },
      { title: t("col.delivery"), cell: (n) => ui.state(n.status) },
      { title: t("col.reason"), cell: (n) => [n.fallback_for ? h("strong", t("delivery.fallbackFor", { who: n.fallback_for })) : null,
        n.reason || lastAttempt(n) || (n.status === "failed" ? t("delivery.noReason") : "")] },
      { title: t("col.attempts"), cell: (n) => String((n.attempts || []).length), class: "num" },
    ];

    const showDeliveries = h("input", { type: "checkbox", name: "deliveries", onchange: () => reload.soon() });
    const showSteps = h("input", { type: "checkbox", name: "steps", onchange: () => reload.soon() });
    const timelineFilter = h("div.filters", h("label.toggle", showDeliveries, " ", t("timeline.showDeliveries")),
      h("label.toggle", showSteps, " ", t("timeline.showSteps")));
    const timelineBody = h("div");
    fill(timeline.body, timelineFilter, timelineBody);

    function shown(entry) {
      if (entry.type === "NotificationSent") return showDeliveries.checked;
      if (entry.type === "ActionUpdated") return showSteps.checked || KEY_STEP_CHANGES.includes((entry.data || {}).change);
      if (KEY_EVENTS.includes(entry.type)) return true;
      return showSteps.checked;
    }

    const timelineColumns = [
      { title: t("col.at"), cell: (e) => ui.timeCell(e.at) },
      { title: t("col.event"), cell: (e) => h("strong", ui.word("event", e.type)) },
      { title: t("col.what"), cell: (e) => h("details", h("summary", summary(e, labels && labels.rules) || t("timeline.details")), h("pre", JSON.stringify(e.data, null, 2))) },
    ];

    const historyColumns = [
      { title: t("col.at"), cell: (c) => ui.timeCell(c.at) },
      { title: t("col.change"), cell: (c) => [ui.level(c.from_level), " → ", ui.level(c.to_level)] },
      { title: t("col.reasonOrRule"), cell: (c) => ui.explain(c.explanation, c.rule_id, labels && labels.rules) },
      { title: t("col.decidedBy"), cell: (c) => c.decided_by || h("span.muted", t("history.byRule")) },
    ];

    fill(root, banner, head, h("div.columns", h("div.col", actions.el, ending.el, assessing.el, facts.el, history.el),
      h("div.col.wide", tasks.el, publishing.el, notifications.el, timeline.el, cases.el)));
    assessing.reload = publishing.reload = () => reload.soon();
    const assessPanel = T.panels.assessments(assessing, id, send);
    let publicPanel = null;
    me.then((who) => { publicPanel = T.panels.publicInfo(publishing, id, send, who); reload.soon(); });

    /** Who a step could not reach and why, and what the reports name that the district does not know. */
    function routingWarnings(d) {
      const lines = (d.warnings || []).map((w) => h("li", w)).concat((d.routing_warnings || []).map((w) =>
        h("li", t("routing.line", { step: (labels && labels.steps[w.action_key]) || w.action_key, who: w.who, reason: w.reason }) +
          (w.fallback_to ? " — " + t("routing.fallback", { who: w.fallback_to }) : "") +
          (w.fallback_error ? " — " + t("routing.noFallback", { why: w.fallback_error }) : ""))));
      return lines.length ? h("div.error", { role: "alert" }, h("strong", t("routing.title")), h("ul", lines)) : null;
    }

    const caseColumns = [
      { title: t("case.person"), cell: (c) => h("code", { title: c.source + " / " + c.report_id }, c.person_key) },
      { title: t("case.onset"), cell: (c) => ui.timeCell(c.onset) },
      { title: t("case.town"), cell: (c) => c.town },
      { title: t("case.village"), cell: (c) => c.village },
      { title: t("col.status"), cell: (c) => ui.state(c.status) },
      { title: t("case.age"), cell: (c) => c.age == null ? "" : String(c.age), class: "num" },
      { title: t("case.sex"), cell: (c) => ui.word("sex", c.sex) },
      { title: t("case.symptoms"), cell: (c) => (c.symptoms || []).join("、") },
    ];

    function factsBasis(basis) {
      const entries = Object.entries(basis || {});
      return entries.length ? h("dl.facts-line", entries.map(([fact, how]) => [h("dt", ui.word("fact", fact)), h("dd", ui.word("basis", how))])) : null;
    }

    /** The case line list: personal data, so only for the roles that may see it; others get a note, not an error. */
    async function loadCases() {
      const who = await me;
      const restricted = h("p.note", t("case.restricted"));
      if (who && !(who.roles || []).some((r) => PERSONAL_DATA_ROLES.includes(r))) return restricted;
      try {
        const list = await api.call("cases", { params: params });
        return [
          h("p", t("case.count", { n: list.count }), " · ",
            h("button.link", { type: "button", onclick: (e) => ui.act(e.target, () => api.download("cases", params, { format: "csv" }, id + "-cases.csv")) }, t("case.export"))),
          factsBasis(list.facts_basis),
          ui.table(caseColumns, list.cases, t("case.none")),
        ];
      } catch (err) {
        if (err.status === 403) return restricted;
        return h("p.error", err.message);
      }
    }

    // ---- termination: each criterion, its signal and state; signals settable; propose and approve with confirmation.
    const endStatus = h("div.status", { role: "status" });
    function signalControl(c) {
      const name = "signal-" + c.signal;
      if (c.kind === "confirmed") {
        return h("label.toggle", h("input", { type: "checkbox", name: name, "data-signal": c.signal, checked: c.value === true }), " ", t("termination.confirmedBox"));
      }
      const input = h("input", { type: "datetime-local", name: name, "data-signal": c.signal, value: typeof c.value === "string" ? ui.localInput(c.value) : "" });
      return [ui.field(t("termination.since", { zone: ui.zoneLabel() }), input),
        h("button.small", { type: "button", onclick: () => { input.value = ui.localInput(new Date().toISOString()); } }, t("termination.now"))];
    }

    // The signal form is drawn once and kept while the user edits it (live updates redraw only the rest).
    const endSummary = h("div");
    const signalArea = h("div");
    const endButtons = h("div");
    fill(ending.body, endSummary, signalArea, endButtons, endStatus);
    let signalsDirty = false;
    let signalsShown = null;

    function signalForm(criteria) {
      const settable = criteria.filter((c) => c.settable && c.signal !== "last_case_at");
      if (!settable.length) return null;
      const form = h("form.stack.signals", {
        oninput: () => { signalsDirty = true; },
        onchange: () => { signalsDirty = true; },
        onsubmit: (e) => {
          e.preventDefault();
          const signals = {};
          for (const el of form.querySelectorAll("[data-signal]")) {
            if (el.type === "checkbox") signals[el.dataset.signal] = el.checked;
            else if (el.value) signals[el.dataset.signal] = ui.fromLocalInput(el.value);
          }
          ui.act(form.querySelector("button[type=submit]"), () => send("updateSignals", {}, { signals: signals }), endStatus)
            .then((ok) => { if (ok) signalsDirty = false; });
        },
      }, settable.map((c) => h("fieldset.signal", h("legend", c.title), signalControl(c))),
        h("button", { type: "submit", "data-action": "save-signals" }, t("termination.save")));
      return form;
    }

    function renderTermination(state) {
      const criteria = state.criteria || [];
      const closed = state.status === "closed";
      const rows = ui.table([
        { title: t("termination.criterion"), cell: (c) => c.title },
        { title: t("termination.signal"), cell: (c) => [ui.word("signal", c.signal), c.at_least ? h("small.muted", " ≥ " + c.at_least) : null] },
        { title: t("termination.value"), cell: (c) => c.signal === "approved" ? t("termination.byApproval")
          : typeof c.value === "string" ? ui.timeCell(c.value) : c.value === undefined || c.value === null ? "—" : ui.text(c.value) },
        { title: t("termination.state"), cell: (c) => [h("span.badge." + (c.holds ? "state-met" : "state-missed") + ".state", c.holds ? t("termination.holds") : t("termination.notYet")),
          c.holds_from && !c.holds ? [h("br"), h("small", t("termination.holdsFrom")), " ", ui.timeCell(c.holds_from)] : null] },
      ], criteria, t("termination.noCriteria"));
      const expert = state.assessment_required
        ? h("p", h("span.badge.state." + (state.assessment_ok ? "state-met" : "state-missed"), state.assessment_ok ? t("termination.holds") : t("termination.notYet")),
          " ", t("termination.assessment")) : null;
      const missing = (state.missing || []).length + (state.assessment_ok === false ? 1 : 0);
      fill(endSummary,
        h("p" + (state.ready ? ".ok" : ".muted"), state.ready ? t("termination.ready") : t("termination.missing", { n: missing })),
        rows, expert);
      const signature = JSON.stringify([closed, state.signals]);
      if (closed) fill(signalArea, h("p.note", t("termination.closed")));
      else if (!signalsDirty && signature !== signalsShown) fill(signalArea, signalForm(criteria));
      signalsShown = signature;
      const propose = h("button", { type: "button", "data-action": "propose-termination", disabled: closed || state.status === "termination_proposed",
        onclick: (e) => decideEnd(e.target, "proposeTermination", t("termination.proposeTitle"), state) }, t("termination.propose"));
      const approve = h("button.primary", { type: "button", "data-action": "approve-termination", disabled: state.status !== "termination_proposed" || !state.ready,
        onclick: (e) => decideEnd(e.target, "approveTermination", t("termination.approveTitle"), state) }, t("termination.approve"));
      fill(endButtons, closed ? null : h("p.buttons", propose, " ", approve), closed ? null : h("small.muted", t("termination.rule")));
    }

    async function decideEnd(button, name, title, state) {
      const reason = h("textarea", { name: "reason", rows: 3, required: true, maxlength: 2000 });
      const list = h("ul", (state.criteria || []).map((c) => h("li", (c.holds ? "✔ " : "✘ ") + c.title)));
      const go = ui.confirmDialog(title, [list, ui.field(t("termination.reason"), reason)], title);
      const dialog = document.querySelector("dialog.modal:last-of-type");
      const ok = dialog.querySelector("button.primary");
      ok.disabled = true;
      reason.addEventListener("input", () => { ok.disabled = !reason.value.trim(); });
      reason.focus();
      if (!(await go)) return;
      ui.act(button, () => send(name, {}, { reason: reason.value }), endStatus);
    }

    function renderDetail(d) {
      fill(banner, d.mode === "exercise"
        ? h("div.exercise-banner", ui.exerciseMark(d.exercise_id), " " + t("incident.exerciseBanner", { id: d.exercise_id || "" }))
        : null);
      fill(head,
        h("h1", ui.level(d.level), " ", place(d.location, d.town), " ", ui.state(d.status)),
        h("dl.facts-line",
          h("dt", t("incident.id")), h("dd", d.id),
          h("dt", t("incident.type")), h("dd", ui.word("incidentType", d.incident_type)),
          h("dt", t("incident.playbook")), h("dd", ((labels && labels.title) || d.playbook_id) + " v" + d.playbook_version),
          d.venue_type ? [h("dt", t("incident.venueType")), h("dd", ui.word("venue", d.venue_type))] : null,
          h("dt", t("incident.reports")), h("dd", String(d.report_count)),
          h("dt", t("incident.firstReport")), h("dd", ui.timeCell(d.first_report_at)),
          h("dt", t("incident.opened")), h("dd", ui.timeCell(d.opened_at)),
          h("dt", t("incident.updated")), h("dd", ui.timeCell(d.updated_at))),
        h("p.explanation", h("strong", t("col.why") + "："), ui.explain(d.explanation, d.rule_id, labels && labels.rules)),
        routingWarnings(d));
      fill(facts.body, factsTable(d));
      fill(history.body, ui.table(historyColumns, (d.level_history || []).slice().reverse(), t("history.none")));
      commands.disabled = d.status === "closed";
      commands.removeAttribute("aria-busy");
    }

    function renderTasks(list) {
      allTasks = list;
      if (pinned.size && tasks.body.querySelector("form.inline-complete")) return; // a completion form is open
      pinned.clear();
      const table = ui.table(taskColumns, list, t("task.none"));
      if (table.tagName === "TABLE") {
        Array.from(table.tBodies[0].rows).forEach((tr, i) => {
          tr.dataset.step = list[i].key;
          if (list[i].overdue) tr.classList.add("overdue-row");
        });
      }
      fill(tasks.body, table);
    }

    const reload = ui.reloader(async function () {
      const [found, taskList, sent, events, caseList, end, assessed, bulletins] = await Promise.allSettled([
        api.call("incident", { params: params }), api.call("tasks", { params: params }),
        api.call("notifications", { params: params }), api.call("timeline", { params: params }), loadCases(),
        api.call("termination", { params: params }), api.call("assessments", { params: params }),
        api.call("publicInfo", { params: params }),
      ]);
      if (found.status === "fulfilled") {
        detail = found.value;
        labels = labels || await playbookNames(detail.playbook_id);
        renderDetail(detail);
      } else {
        const missing = found.reason.status === 404;
        fill(head, h("h1", id), h("p.error", { role: "alert" }, missing ? t("incident.notFound", { id: id }) : found.reason.message));
        commands.disabled = true;
        commands.removeAttribute("aria-busy");
        if (missing) {
          [tasks, notifications, timeline, cases, ending, facts, history, assessing, publishing].forEach((s) => fill(s.body, h("p.muted", "—")));
          return;
        }
      }
      if (taskList.status === "fulfilled") renderTasks(taskList.value);
      else fill(tasks.body, h("p.error", taskList.reason.message));
      fill(cases.body, caseList.status === "fulfilled" ? caseList.value : h("p.error", String(caseList.reason)));
      if (sent.status === "fulfilled") {
        // Failed deliveries first and always shown (recipient, channel, reason); the rest one click away.
        const failed = sent.value.filter((n) => n.status === "failed");
        const others = sent.value.filter((n) => n.status !== "failed");
        const wasOpen = notifications.body.querySelector("details[open]") !== null;
        fill(notifications.body,
          failed.length ? [h("h3.error", t("delivery.failedTitle", { n: failed.length })), ui.table(notificationColumns, failed, "")] : null,
          others.length ? h("details", { open: wasOpen }, h("summary", t("delivery.others", { n: others.length })), ui.table(notificationColumns, others, ""))
            : failed.length ? null : h("p.empty", t("delivery.none")));
      } else {
        fill(notifications.body, h("p.error", sent.reason.message));
      }
      if (events.status === "fulfilled") {
        const visible = events.value.filter(shown).reverse();
        fill(timelineBody, ui.table(timelineColumns, visible, t("timeline.none")),
          h("p.muted", t("timeline.hidden", { n: events.value.length - visible.length })));
      } else {
        fill(timelineBody, h("p.error", events.reason.message));
      }
      if (end.status === "fulfilled") renderTermination(end.value);
      else fill(endSummary, h("p.error", end.reason.message));
      if (assessed.status === "fulfilled") assessPanel.render(assessed.value);
      else assessPanel.error(assessed.reason);
      if (publicPanel) {
        if (bulletins.status === "fulfilled") publicPanel.render(bulletins.value);
        else publicPanel.error(bulletins.reason);
      }
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
