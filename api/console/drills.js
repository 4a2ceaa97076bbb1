/* Tocsin console: drills for drill controllers. Scenarios and runs (#/drills), one run (#/drills/{id}). */
"use strict";

(function (T) {
  const { h, fill } = T.ui;
  const ui = T.ui;
  const api = T.api;

  // What the controller may do to an inject in each state, and the state each action leads to. Mirrors
  // drills/result.py INJECT_TRANSITIONS (tests/api/test_console.py checks it); keep both maps JSON.
  const INJECT_ACTIONS = {"scheduled": ["fire", "hold", "skip", "cancel"], "on_hold": ["fire", "release", "skip", "cancel"], "executed": [], "cancelled": []};
  const ACTION_TARGET = {"fire": "executed", "hold": "on_hold", "release": "scheduled", "skip": "cancelled", "cancel": "cancelled"};
  const ACTION_LABEL = { fire: "Fire now", hold: "Hold", release: "Release", skip: "Skip", cancel: "Cancel" };
  const ACTION_OPERATION = {
    fire: "fireInject", hold: "holdInject", release: "releaseInject", skip: "skipInject", cancel: "cancelInject",
  };
  const CONFIRM = { skip: "Skip inject {id}? It will not fire.", cancel: "Cancel inject {id}? It will not fire." };
  const BOTS = [["", "no bot (people play)"], ["perfect", "bot: perfect"], ["late", "bot: late"], ["absent", "bot: absent"]];
  const LIVE_STATES = ["running", "paused"];
  const POLL_RUNNING_MS = 2000;
  const POLL_PAUSED_MS = 5000;
  const POLL_LIST_MS = 5000;

  const items = (body) => (Array.isArray(body) ? body : (body && (body.items || body.runs || body.scenarios)) || []);
  const count = (value) => (Array.isArray(value) ? value.length : value === undefined || value === null ? "" : String(value));
  const names = (value) => (Array.isArray(value)
    ? value.map((v) => (v && typeof v === "object" ? v.name || v.title || v.id : v)).join(", ") : ui.text(value));
  const runLink = (id) => h("a", { href: "#/drills/" + encodeURIComponent(id) }, id);

  function progress(run) {
    const elapsed = Number(run.elapsed_seconds) || 0;
    const end = Number(run.end_seconds) || 0;
    const percent = end > 0 ? Math.min(100, Math.round((elapsed / end) * 100)) : 0;
    return h("span.progress", h("progress", { max: 100, value: percent }),
      " " + ui.scenarioTime(elapsed) + " / " + ui.scenarioTime(end) + " (" + percent + "%)");
  }

  function percent(value) {
    return value === null || value === undefined ? "—" : Math.round(Number(value) * 10) / 10 + "%";
  }

  /** #/drills: the scenarios a controller may start, and the runs. */
  function indexView(root) {
    const scenarios = ui.section("Scenarios");
    const runs = ui.section("Runs");
    fill(root, h("div.toolbar", h("h1", "Drills"), h("span.meta", "Tabletop exercises (桌面推演) — every message is marked 【演练】 EXERCISE")),
      scenarios.el, runs.el);

    function startForm(scenario) {
      const status = h("span.status");
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
      }, h("label", "speed ", h("input", { name: "speed", type: "number", min: 1, max: 600, step: 1, value: "60", required: true }), "×"),
        " ", ui.select("bot", BOTS, ""), " ", h("button", { type: "submit" }, "Start"), " ", status);
    }

    const scenarioColumns = [
      { title: "Scenario", cell: (s) => [h("strong", s.title || s.id), h("br"), h("small.muted", s.id)] },
      { title: "Playbook", cell: (s) => ui.text(s.playbook) },
      { title: "Objectives", cell: (s) => h("small", names(s.objectives)) },
      { title: "Units", cell: (s) => h("small", names(s.units)) },
      { title: "Injects", cell: (s) => count(s.injects), class: "num" },
      { title: "Duration", cell: (s) => ui.scenarioTime(s.duration_seconds) },
      { title: "Start a run", cell: startForm },
    ];

    const runColumns = [
      { title: "Exercise", cell: (r) => [ui.exerciseMark(r.exercise_id), " ", runLink(r.exercise_id)] },
      { title: "Scenario", cell: (r) => r.title || r.scenario_id },
      { title: "State", cell: (r) => [ui.state(r.state), r.reason ? h("small.muted", " " + r.reason) : null] },
      { title: "Speed", cell: (r) => (r.speed ? r.speed + "×" : ""), class: "num" },
      { title: "Progress", cell: progress },
      { title: "Bot", cell: (r) => ui.text(r.bot) },
      { title: "Started", cell: (r) => ui.timeCell(r.started_at) },
      { title: "Score", cell: (r) => (r.score ? percent(r.score.percent) : ""), class: "num" },
      { title: "Report", cell: (r) => (r.has_report ? "yes" : "") },
    ];

    let timer = null;
    const listReload = ui.reloader(async function () {
      clearTimeout(timer);
      try {
        fill(runs.body, ui.table(runColumns, items(await api.call("drills")), "No drill has been run yet."));
      } catch (err) {
        ui.showError(err, runs.body);
      }
      timer = setTimeout(listReload.soon, POLL_LIST_MS);
    });
    listReload.now();
    (async function () {
      try {
        fill(scenarios.body, ui.table(scenarioColumns, items(await api.call("scenarios")), "No scenarios."));
      } catch (err) {
        ui.showError(err, scenarios.body);
      }
    })();
    return () => { clearTimeout(timer); listReload.dispose(); };
  }

  /** #/drills/{exercise_id}: the run, polled every 2 s while it runs, with the controller's commands. */
  function runView(root, exerciseId) {
    const params = { exercise_id: exerciseId };
    let run = null;
    let timer = null;
    let disposed = false;
    const head = h("div.summary");
    const controls = ui.section("Control");
    const injects = ui.section("Injects");
    const messages = ui.section("Messages to players");
    const score = ui.section("Score");
    const report = ui.section("After-action report");
    const about = ui.section("Objectives, units, participants");
    const rejected = h("div");
    fill(root, head, h("div.columns", h("div.col", controls.el, about.el, score.el),
      h("div.col.wide", rejected, injects.el, messages.el, report.el)));

    const status = h("span.status");
    const send = (name, extra, body) => api.command(name, Object.assign({ exercise_id: exerciseId }, extra), body)
      .then((outcome) => { reload.soon(); return api.outcomeMessage(outcome); });
    const commandButton = (label, name, ask) => h("button", {
      type: "button", "data-command": name,
      onclick: (e) => { if (!ask || window.confirm(ask)) ui.act(e.target, () => send(name), status); },
    }, label);
    const pause = commandButton("Pause", "pauseDrill");
    const resume = commandButton("Resume", "resumeDrill");
    const stop = commandButton("Stop", "stopDrill", "Stop the exercise now? It ends and is scored as it stands.");
    const speedForm = h("form.inline", {
      onsubmit: (e) => {
        e.preventDefault();
        const f = e.target;
        ui.act(f.querySelector("button"), () => send("drillSpeed", {}, { speed: Number(f.elements.speed.value) }), status);
      },
    }, h("label", "speed ", h("input", { name: "speed", type: "number", min: 1, max: 600, step: 1, required: true }), "× "),
      h("button", { type: "submit" }, "Set speed"));
    [pause, resume, stop, speedForm.querySelector("button")].forEach((b) => { b.disabled = true; });
    fill(controls.body, h("div.progress-line"), h("p.buttons", pause, " ", resume, " ", stop), speedForm, status);

    function injectButtons(inject) {
      const live = run && LIVE_STATES.includes(run.state);
      return (INJECT_ACTIONS[inject.state] || []).map((action) => h("button.small", {
        type: "button", disabled: !live, title: "→ " + ACTION_TARGET[action],
        onclick: (e) => {
          const ask = CONFIRM[action];
          if (ask && !window.confirm(ask.replace("{id}", inject.id))) return;
          ui.act(e.target, () => send(ACTION_OPERATION[action], { inject_id: inject.id }), status);
        },
      }, ACTION_LABEL[action]));
    }

    const injectColumns = [
      { title: "At", cell: (i) => (i.at_seconds === null || i.at_seconds === undefined ? "—" : ui.scenarioTime(i.at_seconds)) },
      { title: "Inject", cell: (i) => [h("strong", i.title), h("br"), h("small.muted", i.id + " · " + i.type + " · " + i.delivery)] },
      { title: "State", cell: (i) => ui.state(i.state) },
      { title: "Executed", cell: (i) => ui.timeCell(i.executed_at) },
      { title: "Fires at", cell: (i) => ui.timeCell(i.fire_at) },
      { title: "Note", cell: (i) => h("small", i.note || "") },
      { title: "", cell: injectButtons },
    ];

    function deliveredCell(m) {
      const diverted = (m.diverted || []).length;
      return h("span", { title: "delivered to: " + names(m.delivered_to) + (diverted ? "; diverted to the exercise sink: " + names(m.diverted) : "") },
        count(m.delivered_to) + (diverted ? " (+" + diverted + " to sink)" : ""));
    }

    const messageColumns = [
      { title: "At", cell: (m) => ui.timeCell(m.at) },
      { title: "Inject", cell: (m) => ui.text(m.inject_id) },
      { title: "From → to", cell: (m) => ui.text(m.sender) + " → " + names(m.receivers) },
      { title: "Message", cell: (m) => [h("strong", m.title || m.type || ""), h("br"), h("span.pre", m.text || "")] },
      { title: "Delivered", cell: deliveredCell, class: "num" },
      { title: "Failed", cell: (m) => (m.failed || []).map((f) => h("div.error", typeof f === "object"
        ? ui.text(f.recipient) + (f.channel ? " (" + f.channel + ")" : "") + ": " + ui.text(f.reason) : ui.text(f))) },
    ];

    const groupColumns = [
      { title: "", cell: (g) => g.title || g.key },
      { title: "Score", cell: (g) => percent(g.percent), class: "num" },
      { title: "Met", cell: (g) => String(g.met), class: "num" },
      { title: "Late", cell: (g) => String(g.late), class: "num" },
      { title: "Missed", cell: (g) => String(g.missed), class: "num" },
      { title: "Open", cell: (g) => String(g.unscored), class: "num" },
    ];

    const assessmentColumns = [
      { title: "Expected action", cell: (a) => [a.expectation, h("br"), h("small.muted", a.objective + " · " + a.unit)] },
      { title: "Result", cell: (a) => ui.state(a.status) },
      { title: "Due", cell: (a) => ui.timeCell(a.due_at) },
      { title: "Done", cell: (a) => ui.timeCell(a.done_at) },
      { title: "Late by", cell: (a) => ui.text(a.late_by) },
      { title: "Value", cell: (a) => ui.text(a.value), class: "num" },
    ];

    function renderScore(s) {
      if (!s) {
        fill(score.body, h("p.muted", "The score is shown when the run is over."));
        return;
      }
      fill(score.body, h("p.big", percent(s.percent)),
        h("h3", "By objective"), ui.table(groupColumns, s.objectives || [], "—"),
        h("h3", "By unit"), ui.table(groupColumns, s.units || [], "—"),
        h("details", h("summary", "Every expected action"), ui.table(assessmentColumns, s.assessments || [], "—")));
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
          h("p", h("a", { href: blob, download: exerciseId + "-report.html" }, "Download the HTML report"), " · ",
            h("a", { href: blob, target: "_blank", rel: "noopener" }, "open in a new tab")),
          h("iframe.report", { sandbox: "", srcdoc: html, title: "after-action report" }));
      }, reportStatus);
    }
    const reportButton = h("button", { type: "button", onclick: showReport, disabled: true }, "Show the report");
    fill(report.body, h("p", reportButton, " ", reportStatus), reportView);

    function warnings(title, list) {
      if (!Array.isArray(list) || list.length === 0) return null;
      return h("div.panel.warning", h("h2", title + " (" + list.length + ")"),
        h("ul", list.slice(-10).reverse().map((x) => h("li", ui.text(x)))));
    }

    function render(r) {
      fill(head,
        h("div.exercise-banner", ui.exerciseMark(r.exercise_id), " Exercise " + r.exercise_id +
          ": players' messages reach participants of this exercise only."),
        h("h1", r.title || r.scenario_id, " ", ui.state(r.state)),
        h("dl.facts-line",
          h("dt", "Scenario"), h("dd", ui.text(r.scenario_id)),
          h("dt", "Speed"), h("dd", r.speed ? r.speed + "×" : ""),
          h("dt", "Bot"), h("dd", ui.text(r.bot) || "none"),
          h("dt", "Scenario time"), h("dd", ui.timeCell(r.scenario_now)),
          h("dt", "Started"), h("dd", ui.timeCell(r.started_at), r.requested_by ? " by " + (r.requested_by.user || ui.text(r.requested_by)) : ""),
          h("dt", "Updated"), h("dd", ui.timeCell(r.updated_at)),
          r.ended_at ? [h("dt", "Ended"), h("dd", ui.timeCell(r.ended_at))] : null),
        r.reason ? h("p.explanation", r.reason) : null,
        (r.incidents || []).length ? h("p", "Incidents: ", r.incidents.map((id, i) => [i ? ", " : "",
          h("a", { href: "#/incidents/" + encodeURIComponent(id) }, id)])) : null);
      fill(controls.body.querySelector(".progress-line"), progress(r));
      pause.disabled = r.state !== "running";
      resume.disabled = r.state !== "paused";
      stop.disabled = !LIVE_STATES.includes(r.state);
      speedForm.querySelector("button").disabled = !LIVE_STATES.includes(r.state);
      const speedInput = speedForm.elements.speed;
      if (document.activeElement !== speedInput) speedInput.value = r.speed || "";
      fill(rejected, warnings("Refused or rejected during the run", r.rejected),
        warnings("Not answered by the platform in time", r.unanswered));
      fill(injects.body, ui.table(injectColumns, r.injects || [], "No injects."));
      fill(messages.body, ui.table(messageColumns, (r.messages || []).slice().reverse(), "No message sent yet."));
      fill(about.body,
        h("h3", "Objectives"), h("ul", (r.objectives || []).map((o) => h("li", typeof o === "object" ? o.title || o.id : o))),
        h("p", h("strong", "Units: "), names(r.units)),
        h("p", h("strong", "Participants: "), names(r.participants) || "—"));
      renderScore(r.score);
      reportButton.disabled = !r.has_report;
      if (!r.has_report && !reportView.firstChild) fill(reportStatus, h("span.muted", "written when the run ends"));
      else if (r.has_report && reportStatus.textContent === "written when the run ends") fill(reportStatus);
    }

    const reload = ui.reloader(async function () {
      clearTimeout(timer);
      let next = POLL_RUNNING_MS;
      try {
        const body = await api.call("drill", { params: params });
        run = body && body.snapshot ? Object.assign({}, body, body.snapshot) : body;
        render(run);
        next = run.state === "running" ? POLL_RUNNING_MS : run.state === "paused" ? POLL_PAUSED_MS : null;
      } catch (err) {
        // Just started: the drill service may not have reported the run yet (404); keep asking.
        fill(status, h("span.error", err.message));
        if (!run && err.status === 404) {
          fill(head, h("h1", exerciseId), h("p", "Waiting for the drill service to report this run " +
            "(is it running? `tocsin run` starts it). The API says: ", h("span.error", err.message)));
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
      if (reportUrl) URL.revokeObjectURL(reportUrl);
    };
  }

  T.views = T.views || {};
  T.views.drills = indexView;
  T.views.drill = runView;
})(window.Tocsin = window.Tocsin || {});
