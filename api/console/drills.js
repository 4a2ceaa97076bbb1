/* Tocsin console: drills for drill controllers. Scenarios and runs (#/drills), one run (#/drills/{id}). */
"use strict";

(function (T) {
  const { h, fill, t } = T.ui;
  const ui = T.ui;
  const api = T.api;

  // What the controller may do to an inject in each state, and the state each action leads to. Mirrors
  // drills/result.py INJECT_TRANSITIONS (tests/api/test_console.py checks it); keep both maps JSON.
  const INJECT_ACTIONS = {"scheduled": ["fire", "hold", "skip", "cancel"], "on_hold": ["fire", "release", "skip", "cancel"], "executed": [], "cancelled": []};
  const ACTION_TARGET = {"fire": "executed", "hold": "on_hold", "release": "scheduled", "skip": "cancelled", "cancel": "cancelled"};
  const ACTION_OPERATION = {
    fire: "fireInject", hold: "holdInject", release: "releaseInject", skip: "skipInject", cancel: "cancelInject",
  };
  const CONFIRM = ["skip", "cancel"];
  const BOTS = ["", "perfect", "late", "absent"];
  const POLL_REPORT_MS = 3000; // after the run ends, until its report is written
  const LIVE_STATES = ["running", "paused"];
  const POLL_RUNNING_MS = 2000;
  const POLL_PAUSED_MS = 5000;
  const POLL_LIST_MS = 5000;
  const POLL_PLAN_MS = 5000; // the improvement plan, once the run has ended (its items are tracked for weeks)
  const WRITERS = ["drill_controller", "commander"]; // steer a run and track its plan (api/routers/drills.py WRITERS)
  const RUN_READERS = ["drill_controller", "commander", "duty_officer", "observer", "evaluator"]; // the CSV too
  const ITEM_STATUSES = ["open", "in_progress", "done"];

  Object.assign(api.PATHS, {
    improvementPlan: "GET /api/v1/drills/{exercise_id}/improvement-plan",
    improvementPlanCsv: "GET /api/v1/drills/{exercise_id}/improvement-plan.csv",
    updateImprovementItem: "POST /api/v1/drills/{exercise_id}/improvement-plan/{item_id}",
  });

  const items = (body) => (Array.isArray(body) ? body : (body && (body.items || body.runs || body.scenarios)) || []);
  const count = (value) => (Array.isArray(value) ? value.length : value === undefined || value === null ? "" : String(value));
  const names = (value) => (Array.isArray(value)
    ? value.map((v) => (v && typeof v === "object" ? v.name || v.title || v.id : v)).join(", ") : ui.text(value));
  const runLink = (id) => h("a", { href: "#/drills/" + encodeURIComponent(id) }, id);

  function progress(run) {
    const elapsed = Number(run.elapsed_seconds) || 0;
    const end = Number(run.end_seconds) || 0;
    const percent = end > 0 ? Math.min(100, Math.round((elapsed / end) * 100)) : 0;
    return h("span.progress", h("progress", { max: 100, value: percent, "aria-label": t("drill.progress") }),
      " ", ui.scenarioCell(ui.scenarioTime(elapsed) + " / " + ui.scenarioTime(end)), " (" + percent + "%)");
  }

  function percent(value) {
    return value === null || value === undefined ? "—" : Math.round(Number(value) * 10) / 10 + "%";
  }

  /** #/drills: the scenarios a controller may start, and the runs. */
  function indexView(root) {
    const scenarios = ui.section(t("drill.scenarios"));
    const runs = ui.section(t("drill.runs"));
    fill(root, h("div.toolbar", h("h1", t("drill.title")), h("span.meta", t("drill.intro"))),
      scenarios.el, runs.el);

    function startForm(scenario) {
      const status = h("span.status", { role: "status" });
      return h("form.inline", {
        onsubmit: (e) => {
          e.preventDefault();
          const f = e.target;
          const body = { scenario: scenario.id, speed: Number(f.elements.speed.value), bot: f.elements.bot.value || null };
          ui.act(f.querySelector("button"), async () => {
            const outcome = await api.command("startDrill", {}, body);
            const started = outcome && outcome.exercise_id;
            const message = api.outcomeMessage(outcome);
            listReload.soon();
            if (!started) return message;
            ui.flashNext(message.text + " — " + started, message.kind);
            window.location.hash = "#/drills/" + encodeURIComponent(started);
            return null;
          }, status);
        },
      }, ui.field(t("drill.speed"), h("input", { name: "speed", type: "number", min: 1, max: 600, step: 1, value: "60", required: true })),
        " ", ui.field(t("drill.bot"), ui.select("bot", BOTS.map((b) => [b, ui.word("bot", b || "none")]), "")), " ",
        h("button", { type: "submit", "data-action": "start-drill" }, t("drill.start")), " ", status);
    }

    const scenarioColumns = [
      { title: t("drill.scenario"), cell: (s) => h("strong", s.title || s.id) },
      { title: t("drill.objectives"), cell: (s) => h("small", names(s.objectives)) },
      { title: t("drill.injects"), cell: (s) => count(s.injects), class: "num" },
      { title: t("drill.duration"), cell: (s) => ui.scenarioCell(ui.scenarioTime(s.duration_seconds)) },
      { title: t("drill.startRun"), cell: startForm },
    ];

    const runColumns = [
      { title: t("drill.exercise"), cell: (r) => [ui.exerciseMark(r.exercise_id), " ", runLink(r.exercise_id)] },
      { title: t("drill.scenario"), cell: (r) => r.title || r.scenario_id },
      { title: t("col.status"), cell: (r) => [ui.state(r.state), r.reason ? h("small.muted", " " + r.reason) : null] },
      { title: t("drill.speed"), cell: (r) => (r.speed ? r.speed + "×" : ""), class: "num" },
      { title: t("drill.progress"), cell: progress },
      { title: t("drill.started"), cell: (r) => ui.timeCell(r.started_at) },
      { title: t("drill.score"), cell: (r) => (r.score ? percent(r.score.percent) : ""), class: "num" },
      { title: t("drill.report"), cell: (r) => (r.has_report ? t("common.yes") : "") },
    ];

    let timer = null;
    const listReload = ui.reloader(async function () {
      clearTimeout(timer);
      try {
        fill(runs.body, ui.table(runColumns, items(await api.call("drills")), t("drill.noRuns")));
      } catch (err) {
        ui.showError(err, runs.body);
      }
      timer = setTimeout(listReload.soon, POLL_LIST_MS);
    });
    listReload.now();
    (async function () {
      try {
        fill(scenarios.body, ui.table(scenarioColumns, items(await api.call("scenarios")), t("drill.noScenarios")));
      } catch (err) {
        ui.showError(err, scenarios.body);
      }
    })();
    return () => { clearTimeout(timer); listReload.dispose(); };
  }

  /**
   * The tracked improvement plan of an ended run (docs/adr/0029, addendum): each item with its owner, due date,
   * status and history, and a status control (open / in progress / done, with a note) for drill controllers,
   * commanders and the owner unit's users. `start()` asks for it every 5 s (404 until the run has ended and the
   * plan is written), so its items' changes, by whoever makes them, show without a reload.
   */
  function planPanel(exerciseId) {
    const params = { exercise_id: exerciseId };
    const el = h("div.improvement-plan", { hidden: true }, h("h3", t("plan.title")));
    const body = h("div");
    const status = h("span.status", { role: "status" });
    el.appendChild(body);
    let me = null;
    let loaded = false;
    let started = false;
    let timer = null;
    let disposed = false;

    const mayTrack = (item) => !!me && ((me.roles || []).some((r) => WRITERS.includes(r)) || (!!me.unit && me.unit === item.owner));

    function trackForm(item) {
      if (!mayTrack(item)) return null;
      const next = item.status === "open" ? "in_progress" : item.status === "in_progress" ? "done" : "in_progress";
      return h("form.inline.track", {
        "data-item": item.id,
        onsubmit: (e) => {
          e.preventDefault();
          const f = e.target;
          const payload = { status: f.elements.status.value, note: f.elements.note.value };
          ui.act(f.querySelector("button"), () => api.command("updateImprovementItem", Object.assign({ item_id: item.id }, params), payload)
            .then((outcome) => { reload.soon(); return api.outcomeMessage(outcome); }), status);
        },
      }, ui.field(t("plan.status"), ui.select("status", ITEM_STATUSES.map((s) => [s, ui.word("item", s)]), next)), " ",
      ui.field(t("plan.note"), h("input", { name: "note", maxlength: 2000 })), " ",
      h("button", { type: "submit" }, t("plan.update")));
    }

    function history(item) {
      const changes = item.history || [];
      if (!changes.length) return null;
      return h("ul.history", changes.map((c) => h("li", ui.timeCell(c.at), " ", ui.text(c.by), " ",
        ui.word("item", c.from) + " → " + ui.word("item", c.status), c.note ? "：" + c.note : "")));
    }

    const columns = [
      { title: t("plan.issue"), cell: (i) => [h("strong", i.issue), h("br"), h("small.muted", i.action)] },
      { title: t("plan.owner"), cell: (i) => i.owner_name || i.owner },
      { title: t("plan.due"), cell: (i) => i.due },
      { title: t("plan.status"), cell: (i) => [h("span.badge.item-" + i.status, { "data-status": i.status }, ui.word("item", i.status)), history(i)] },
      { title: t("col.actions"), cell: trackForm, class: "actions" },
    ];

    function render(plan) {
      el.hidden = false;
      const items = plan.items || [];
      fill(body, items.length ? ui.table(columns, items, t("plan.empty")) : h("p.empty", t("plan.empty")),
        h("p", (me.roles || []).some((r) => RUN_READERS.includes(r)) ? h("button", {
          type: "button", onclick: (e) => ui.act(e.target, () => api.download("improvementPlanCsv", params, {},
            "improvement-plan-" + exerciseId + ".csv"), status),
        }, t("plan.csv")) : null, " ", status));
      el.querySelectorAll("table tbody tr").forEach((tr, n) => { if (items[n]) tr.setAttribute("data-item", items[n].id); });
    }

    const reload = ui.reloader(async function () {
      clearTimeout(timer);
      try {
        if (me === null) me = await api.call("whoami").catch(() => ({ roles: [] }));
        const active = document.activeElement;
        const typing = loaded && active && el.contains(active) && ["INPUT", "SELECT"].includes(active.tagName);
        const plan = await api.call("improvementPlan", { params: params });
        loaded = true;
        if (!typing) render(plan);
      } catch (err) {
        if (err.status !== 404) ui.showError(err, status);
        if (err.status === 401 || err.status === 403) return; // not this user's to see: stop asking
      }
      if (!disposed) timer = setTimeout(reload.soon, POLL_PLAN_MS);
    });
    return {
      el: el,
      start: () => { if (!started) { started = true; reload.now(); } },
      dispose: () => { disposed = true; clearTimeout(timer); reload.dispose(); },
    };
  }

  /** #/drills/{exercise_id}: the run, polled every 2 s while it runs, with the controller's commands. */
  function runView(root, exerciseId) {
    const params = { exercise_id: exerciseId };
    let run = null;
    let me = null; // whoami: only drill controllers and commanders steer the run (evaluators and observers read it)
    let timer = null;
    let disposed = false;
    const head = h("div.summary");
    const controls = ui.section(t("drill.control"));
    const injects = ui.section(t("drill.injects"));
    const messages = ui.section(t("drill.messages"));
    const score = ui.section(t("drill.score"));
    const report = ui.section(t("drill.afterAction"));
    const about = ui.section(t("drill.about"));
    const rejected = h("div");
    fill(root, head, h("div.columns", h("div.col", controls.el, about.el, score.el),
      h("div.col.wide", rejected, injects.el, messages.el, report.el)));

    const status = h("span.status", { role: "status" });
    const send = (name, extra, body) => api.command(name, Object.assign({ exercise_id: exerciseId }, extra), body)
      .then((outcome) => { reload.soon(); return api.outcomeMessage(outcome); });
    const commandButton = (label, name, ask) => h("button", {
      type: "button", "data-command": name,
      onclick: async (e) => {
        const button = e.target;
        if (ask && !(await ui.confirmDialog(label, h("p", ask), label))) return;
        ui.act(button, () => send(name), status);
      },
    }, label);
    const pause = commandButton(t("drill.pause"), "pauseDrill");
    const resume = commandButton(t("drill.resume"), "resumeDrill");
    const stop = commandButton(t("drill.stop"), "stopDrill", t("drill.stopAsk"));
    const speedForm = h("form.inline", {
      onsubmit: (e) => {
        e.preventDefault();
        const f = e.target;
        ui.act(f.querySelector("button"), () => send("drillSpeed", {}, { speed: Number(f.elements.speed.value) }), status);
      },
    }, ui.field(t("drill.speed"), h("input", { name: "speed", type: "number", min: 1, max: 600, step: 1, required: true })), " ",
      h("button", { type: "submit" }, t("drill.setSpeed")));
    [pause, resume, stop, speedForm.querySelector("button")].forEach((b) => { b.disabled = true; });
    fill(controls.body, h("div.progress-line"), h("p.buttons", pause, " ", resume, " ", stop), speedForm, status);

    const steers = () => !!me && (me.roles || []).some((r) => WRITERS.includes(r));

    function injectButtons(inject) {
      if (!steers()) return [];
      const live = run && LIVE_STATES.includes(run.state);
      return (INJECT_ACTIONS[inject.state] || []).map((action) => h("button.small", {
        type: "button", disabled: !live, title: "→ " + ui.word("state", ACTION_TARGET[action]),
        onclick: async (e) => {
          const button = e.target;
          const label = t("inject." + action);
          if (CONFIRM.includes(action) && !(await ui.confirmDialog(label, h("p", t("inject.ask", { title: inject.title })), label))) return;
          ui.act(button, () => send(ACTION_OPERATION[action], { inject_id: inject.id }), status);
        },
      }, t("inject." + action)));
    }

    const injectColumns = [
      { title: t("drill.injectAt"), cell: (i) => (i.at_seconds === null || i.at_seconds === undefined ? "—" : ui.scenarioCell(ui.scenarioTime(i.at_seconds))) },
      { title: t("drill.inject"), cell: (i) => [h("strong", i.title), h("br"), h("small.muted", ui.word("injectType", i.type))] },
      { title: t("col.status"), cell: (i) => ui.state(i.state) },
      { title: t("drill.executed"), cell: (i) => ui.timeCell(i.executed_at) },
      { title: t("drill.firesAt"), cell: (i) => ui.timeCell(i.fire_at) },
      { title: t("drill.note"), cell: (i) => h("small", i.note || "") },
      { title: t("col.actions"), cell: (i) => h("div.row-actions", injectButtons(i)), class: "actions" },
    ];

    function deliveredCell(m) {
      const diverted = (m.diverted || []).length;
      return h("span", { title: t("drill.deliveredTo", { who: names(m.delivered_to) }) + (diverted ? "; " + t("drill.divertedTo", { who: names(m.diverted) }) : "") },
        count(m.delivered_to) + (diverted ? " (+" + diverted + " " + t("drill.toSink") + ")" : ""));
    }

    const messageColumns = [
      { title: t("col.at"), cell: (m) => ui.timeCell(m.at) },
      { title: t("drill.fromTo"), cell: (m) => ui.text(m.sender) + " → " + names(m.receivers) },
      { title: t("drill.message"), cell: (m) => [h("strong", m.title || ui.word("injectType", m.type) || ""), h("br"), h("span.pre", m.text || "")] },
      { title: t("drill.delivered"), cell: deliveredCell, class: "num" },
      { title: t("drill.failed"), cell: (m) => (m.failed || []).map((f) => h("div.error", typeof f === "object"
        ? t("delivery.line", { recipient: ui.text(f.recipient), channel: ui.word("channel", f.channel) || "—" }) + " " + t("delivery.reason", { reason: ui.text(f.reason) }) : ui.text(f))) },
    ];

    const groupColumns = [
      { title: "", cell: (g) => g.title || g.key },
      { title: t("drill.score"), cell: (g) => percent(g.percent), class: "num" },
      { title: t("drill.met"), cell: (g) => String(g.met), class: "num" },
      { title: t("drill.late"), cell: (g) => String(g.late), class: "num" },
      { title: t("drill.missed"), cell: (g) => String(g.missed), class: "num" },
      { title: t("drill.open"), cell: (g) => String(g.unscored), class: "num" },
    ];

    const assessmentColumns = [
      { title: t("drill.expected"), cell: (a) => a.expectation },
      { title: t("drill.result"), cell: (a) => ui.state(a.status) },
      { title: t("col.due"), cell: (a) => ui.timeCell(a.due_at) },
      { title: t("drill.done"), cell: (a) => ui.timeCell(a.done_at) },
      { title: t("drill.lateBy"), cell: (a) => ui.text(a.late_by) },
    ];

    function renderScore(s) {
      if (!s) {
        fill(score.body, h("p.muted", t("drill.scoreLater")));
        return;
      }
      fill(score.body, h("p.big", percent(s.percent)),
        h("h3", t("drill.byObjective")), ui.table(groupColumns, s.objectives || [], "—", true),
        h("h3", t("drill.byUnit")), ui.table(groupColumns, s.units || [], "—", true),
        h("details", h("summary", t("drill.everyAction")), ui.table(assessmentColumns, s.assessments || [], "—")));
    }

    const reportView = h("div");
    const reportStatus = h("span.status");
    let reportUrl = null;
    async function showReport(e) {
      await ui.act(e.target, async () => {
        const html = await api.call("drillReport", { params: params, query: { format: "html" }, accept: "text/html" });
        if (reportUrl) URL.revokeObjectURL(reportUrl);
        reportUrl = URL.createObjectURL(new Blob([html], { type: "text/html" }));
        const blob = reportUrl;
        fill(reportView,
          h("p", h("a", { href: blob, download: exerciseId + "-report.html" }, t("drill.downloadReport")), " · ",
            h("a", { href: blob, target: "_blank", rel: "noopener" }, t("drill.openReport"))),
          h("iframe.report", { sandbox: "", srcdoc: html, title: t("drill.afterAction") }));
      }, reportStatus);
    }
    const reportButton = h("button", { type: "button", "data-action": "show-report", onclick: showReport, disabled: true }, t("drill.showReport"));
    const plan = planPanel(exerciseId);
    fill(report.body, h("p", reportButton, " ", reportStatus), reportView, plan.el);

    function warnings(title, list) {
      if (!Array.isArray(list) || list.length === 0) return null;
      return h("div.panel.warning", { role: "alert" }, h("h2", title + " (" + list.length + ")"),
        h("ul", list.slice(-10).reverse().map((x) => h("li", ui.text(x)))));
    }

    function render(r) {
      fill(head,
        h("div.exercise-banner", ui.exerciseMark(r.exercise_id), " " + t("drill.banner", { id: r.exercise_id })),
        h("h1", r.title || r.scenario_id, " ", ui.state(r.state)),
        h("dl.facts-line",
          h("dt", t("drill.speed")), h("dd", r.speed ? r.speed + "×" : ""),
          h("dt", t("drill.bot")), h("dd", ui.word("bot", r.bot || "none")),
          h("dt", t("time.scenario")), h("dd", ui.scenarioCell(r.scenario_now ? ui.time(r.scenario_now) : "")),
          h("dt", t("drill.started")), h("dd", ui.timeCell(r.started_at), r.requested_by ? " " + t("timeline.by", { by: r.requested_by.user || ui.text(r.requested_by) }) : ""),
          h("dt", t("incident.updated")), h("dd", ui.timeCell(r.updated_at)),
          r.ended_at ? [h("dt", t("drill.ended")), h("dd", ui.timeCell(r.ended_at))] : null),
        r.reason ? h("p.explanation", r.reason) : null,
        (r.incidents || []).length ? h("p", t("drill.incidents"), " ", r.incidents.map((id, i) => [i ? ", " : "",
          h("a", { href: "#/incidents/" + encodeURIComponent(id) }, id)])) : null);
      fill(controls.body.querySelector(".progress-line"), progress(r));
      pause.disabled = r.state !== "running";
      resume.disabled = r.state !== "paused";
      stop.disabled = !LIVE_STATES.includes(r.state);
      speedForm.querySelector("button").disabled = !LIVE_STATES.includes(r.state);
      pause.parentNode.hidden = speedForm.hidden = !steers();
      const speedInput = speedForm.elements.speed;
      if (document.activeElement !== speedInput) speedInput.value = r.speed || "";
      fill(rejected, warnings(t("drill.rejected"), r.rejected), warnings(t("drill.unanswered"), r.unanswered));
      fill(injects.body, ui.table(injectColumns, r.injects || [], t("drill.noInjects")));
      fill(messages.body, ui.table(messageColumns, (r.messages || []).slice().reverse(), t("drill.noMessages")));
      fill(about.body,
        h("h3", t("drill.objectives")), h("ul", (r.objectives || []).map((o) => h("li", typeof o === "object" ? o.title || o.id : o))),
        h("p", h("strong", t("drill.units")), " ", names(r.units)),
        h("p", h("strong", t("drill.participants")), " ", names(r.participants) || "—"));
      renderScore(r.score);
      reportButton.disabled = !r.has_report;
      if (!r.has_report && !reportView.firstChild) fill(reportStatus, h("span.muted", LIVE_STATES.includes(r.state) ? t("drill.reportLater") : t("drill.reportWriting")));
      else if (r.has_report && reportStatus.querySelector(".muted")) fill(reportStatus);
      if (!LIVE_STATES.includes(r.state)) plan.start();
    }

    const reload = ui.reloader(async function () {
      clearTimeout(timer);
      let next = POLL_RUNNING_MS;
      try {
        if (me === null) me = await api.call("whoami").catch(() => ({ roles: [] }));
        const body = await api.call("drill", { params: params });
        run = body && body.snapshot ? Object.assign({}, body, body.snapshot) : body;
        render(run);
        // Once over, keep asking until the report is written, so its button comes on without a reload.
        next = run.state === "running" ? POLL_RUNNING_MS : run.state === "paused" ? POLL_PAUSED_MS
          : run.has_report ? null : POLL_REPORT_MS;
      } catch (err) {
        // Just started: the drill service may not have reported the run yet (404); keep asking.
        if (!run && err.status === 403) {
          // A participant (a unit's user of this exercise) reads its discussion and plan, not the run itself.
          fill(head, h("div.exercise-banner", ui.exerciseMark(exerciseId), " " + t("drill.banner", { id: exerciseId })),
            h("h1", exerciseId), h("p.muted", t("drill.participantView")));
          [controls.el, about.el, score.el, injects.el, messages.el, reportButton.parentNode].forEach((el) => { el.hidden = true; });
          plan.start();
          return;
        }
        fill(status, h("span.error", err.message));
        if (!run && err.status === 404) {
          fill(head, h("h1", exerciseId), h("p", t("drill.waiting"), " ", h("span.error", err.message)));
        } else if (!run) {
          fill(head, h("h1", exerciseId), h("p.error", err.message));
        }
        next = err.status === 404 || err.status === 0 || err.status >= 500 ? POLL_PAUSED_MS : null;
      }
      if (next !== null && !disposed) timer = setTimeout(reload.soon, next);
    });
    reload.now();
    return () => {
      disposed = true;
      clearTimeout(timer);
      reload.dispose();
      plan.dispose();
      if (reportUrl) URL.revokeObjectURL(reportUrl);
    };
  }

  T.views = T.views || {};
  T.views.drills = indexView;
  T.views.drill = runView;
})(window.Tocsin = window.Tocsin || {});
