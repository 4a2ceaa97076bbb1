/* Tocsin console: discussion-based exercises (docs/adr/0029) on the drill page (#/drills/{id}): the facilitator's
   phase control and question board, the participants' answer form, the evaluator's rating form, all live. */
"use strict";

(function (T) {
  const { h, fill, t } = T.ui;
  const ui = T.ui;
  const api = T.api;

  Object.assign(api.PATHS, {
    discussion: "GET /api/v1/drills/{exercise_id}/discussion",
    advancePhase: "POST /api/v1/drills/{exercise_id}/phases/{phase_id}/advance",
    answerQuestion: "POST /api/v1/drills/{exercise_id}/questions/{question_id}/answers",
    recordObservation: "POST /api/v1/drills/{exercise_id}/observations",
  });

  const POLL_MS = 2000;
  const LIVE = ["running", "paused"];
  const RATINGS = ["P", "S", "M", "U"];
  const FACILITATORS = ["drill_controller", "commander"];
  const ANSWERERS = ["unit_responder", "duty_officer", "commander", "drill_controller", "publicity"];
  const SEE_POINTS = ["drill_controller", "commander", "evaluator", "observer"];
  const has = (me, roles) => !!me && (me.roles || []).some((r) => roles.includes(r));

  /** The tabletop panel of one run; polls its discussion while the run goes; returns a function that stops it. */
  function panel(root, exerciseId) {
    const params = { exercise_id: exerciseId };
    const box = h("section.panel.tabletop", { hidden: true, "aria-labelledby": "tabletop-title" },
      h("h2", { id: "tabletop-title" }, t("tabletop.title")));
    const body = h("div.body");
    const status = h("span.status", { role: "status" });
    box.appendChild(body);
    root.insertBefore(box, root.querySelector(".columns")); // the discussion first: it is the exercise
    let me = null;
    let names = {};
    let capabilityTitles = {};
    let timer = null;
    let disposed = false;
    let force = false; // after one's own command, draw even while a control has the focus
    const drafts = {}; // typed but unsent answers and notes survive a redraw

    const send = (name, extra, payload) => api.command(name, Object.assign({}, params, extra), payload)
      .then((outcome) => { force = true; reload.soon(); return api.outcomeMessage(outcome); });

    function draft(key, control) {
      if (drafts[key] !== undefined) control.value = drafts[key];
      control.addEventListener("input", () => { drafts[key] = control.value; });
      return control;
    }

    function phaseControl(run, discussion) {
      const current = (discussion.phases || []).find((p) => p.id === discussion.current_phase);
      if (!current || current.state !== "current" || !has(me, FACILITATORS)) return null;
      const last = discussion.phases[discussion.phases.length - 1].id === current.id;
      const label = last ? t("tabletop.closeLast") : t("tabletop.close");
      return h("p.buttons", h("button", {
        type: "button", "data-command": "advancePhase", disabled: !LIVE.includes(run.state),
        onclick: async (e) => {
          const button = e.target;
          if (!(await ui.confirmDialog(label, h("p", t("tabletop.closeAsk", { phase: current.title })), label))) return;
          ui.act(button, () => send("advancePhase", { phase_id: current.id }), status);
        },
      }, label));
    }

    function answerForm(question) {
      if (!has(me, ANSWERERS)) return null;
      const key = "a:" + question.id;
      const text = draft(key, h("textarea", { name: "text", rows: 3, required: true, maxlength: 4000 }));
      const unit = me.unit ? null
        : ui.field(t("tabletop.unit"), ui.select("unit", question.to.map((u) => [u, names[u] || u]), question.to[0]));
      return h("form.answer", {
        onsubmit: (e) => {
          e.preventDefault();
          const f = e.target;
          const payload = { text: f.elements.text.value };
          if (f.elements.unit) payload.unit = f.elements.unit.value;
          ui.act(f.querySelector("button"), () => send("answerQuestion", { question_id: question.id }, payload)
            .then((m) => { delete drafts[key]; return m; }), status);
        },
      }, ui.field(t("tabletop.yourAnswer"), text), unit, h("button", { type: "submit" }, t("tabletop.answer")));
    }

    function ratingForm(target, key) {
      if (!has(me, ["evaluator"])) return null;
      const note = draft("r:" + key, h("input", { name: "note", maxlength: 4000 }));
      return h("form.inline.rating", {
        onsubmit: (e) => {
          e.preventDefault();
          const f = e.target;
          const payload = Object.assign({ rating: f.elements.rating.value, note: f.elements.note.value }, target);
          ui.act(f.querySelector("button"), () => send("recordObservation", {}, payload)
            .then((m) => { delete drafts["r:" + key]; return m; }), status);
        },
      }, ui.field(t("tabletop.rating"), ui.select("rating", RATINGS.map((r) => [r, ui.word("rating", r)]), "P")), " ",
      ui.field(t("tabletop.note"), note), " ", h("button", { type: "submit" }, t("tabletop.rate")));
    }

    function ratingList(ratings) {
      return ratings.length ? [h("h5", t("tabletop.ratings")), h("ul.ratings", ratings.map((r) => h("li",
        h("span.badge.rating-" + r.rating, ui.word("rating", r.rating)), " ", ui.text(r.evaluator), r.note ? "：" + r.note : "")))] : null;
    }

    function question(q, discussion, live) {
      const answers = (discussion.answers || []).filter((a) => a.question_id === q.id);
      const ratings = (discussion.ratings || []).filter((r) => r.question_id === q.id);
      return h("article.question", { "data-question": q.id },
        h("h4", q.text),
        h("p.muted", t("tabletop.to") + ": " + q.to.map((u) => names[u] || u).join(", ") + " · " + t("tabletop.capability") + ": "
          + (capabilityTitles[q.capability] || q.capability)),
        has(me, SEE_POINTS) && (q.expect || []).length ? h("details", h("summary", t("tabletop.points")),
          h("ul", q.expect.map((p) => h("li", p.point + (p.step ? "（" + p.step + "）" : ""))))) : null,
        h("h5", t("tabletop.answers")),
        answers.length ? h("ul.answers", answers.map((a) => h("li", h("strong", names[a.unit] || a.unit), " ", ui.text(a.text),
          h("small.muted", " — " + ui.text(a.by) + " " + ui.scenarioTime(a.elapsed_seconds))))) : h("p.empty", t("tabletop.noAnswers")),
        ratingList(ratings),
        live ? answerForm(q) : null, live ? ratingForm({ question_id: q.id }, q.id) : null);
    }

    function render(run) {
      const discussion = run.discussion;
      box.hidden = !discussion;
      if (!discussion) return;
      const live = LIVE.includes(run.state);
      const capabilities = discussion.capabilities || [];
      names = discussion.unit_names || {};
      capabilityTitles = Object.fromEntries(capabilities.map((c) => [c.id, c.title]));
      fill(body,
        run.awaiting_facilitator && live ? h("p.warning", { role: "status" }, t("tabletop.awaiting")) : null,
        phaseControl(run, discussion), status,
        (discussion.phases || []).map((p) => h("div.phase.phase-" + p.state, { "data-phase": p.id },
          h("h3", t("tabletop.phase") + " " + p.title + " ", h("span.badge.phase-state", ui.word("phase", p.state)), " ",
            ui.scenarioCell(ui.scenarioTime(p.start_seconds) + "–" + ui.scenarioTime(p.end_seconds))),
          p.jump && p.state !== "pending" ? h("p.explanation", p.jump) : null,
          p.narrative && p.state !== "pending" ? h("p", p.narrative) : null,
          p.state === "pending" ? null : (p.questions || []).map((q) => question(q, discussion, live)))),
        live && has(me, ["evaluator"]) && capabilities.length ? h("div.capability-rating", h("h3", t("tabletop.rateCapability")),
          capabilities.map((c) => h("div", { "data-capability": c.id }, h("strong", c.title), " ",
            ratingList((discussion.ratings || []).filter((r) => r.capability === c.id)),
            ratingForm({ capability: c.id }, "c:" + c.id)))) : null);
    }

    const reload = ui.reloader(async function () {
      clearTimeout(timer);
      let next = POLL_MS;
      try {
        if (me === null) me = await api.call("whoami").catch(() => ({ roles: [] }));
        const active = document.activeElement;
        const typing = active && box.contains(active) && ["TEXTAREA", "INPUT", "SELECT"].includes(active.tagName);
        const run = await api.call("discussion", { params: params });
        if (!typing || force || !LIVE.includes(run.state)) {
          force = false;
          render(run);
        }
        if (!LIVE.includes(run.state)) next = null;
      } catch (err) {
        next = err.status === 404 || err.status === 0 || err.status >= 500 ? POLL_MS * 2 : null;
      }
      if (next !== null && !disposed) timer = setTimeout(reload.soon, next);
    });
    reload.now();
    return () => {
      disposed = true;
      clearTimeout(timer);
      reload.dispose();
    };
  }

  // The hook: the drill page (drills.js) gets the panel below its own view.
  const runView = T.views && T.views.drill;
  if (runView) {
    T.views.drill = function (root, exerciseId) {
      const stopRun = runView(root, exerciseId);
      const stopPanel = panel(root, exerciseId);
      return () => { if (typeof stopRun === "function") stopRun(); stopPanel(); };
    };
  }
  T.tabletop = { panel: panel };
})(window.Tocsin = window.Tocsin || {});
