/* Tocsin console: discussion-based exercises (docs/adr/0029) on the drill page (#/drills/{id}): the facilitator's
   phase control and question board, the participants' answer form, the evaluator's rating form, all live. */
"use strict";

(function (T) {
  const { h, fill } = T.ui;
  const ui = T.ui;
  const api = T.api;

  Object.assign(api.PATHS, {
    discussion: "GET /api/v1/drills/{exercise_id}/discussion",
    advancePhase: "POST /api/v1/drills/{exercise_id}/phases/{phase_id}/advance",
    answerQuestion: "POST /api/v1/drills/{exercise_id}/questions/{question_id}/answers",
    recordObservation: "POST /api/v1/drills/{exercise_id}/observations",
    improvementPlan: "GET /api/v1/drills/{exercise_id}/improvement-plan.csv",
  });

  const POLL_MS = 2000;
  const RATINGS = ["P", "S", "M", "U"];
  const FACILITATORS = ["drill_controller", "commander"];
  const ANSWERERS = ["unit_responder", "duty_officer", "commander", "drill_controller", "publicity"];
  const SEE_POINTS = ["drill_controller", "commander", "evaluator", "observer"];
  const WORDS = {
    zh: {
      title: "讨论式推演：阶段与问题", phase: "阶段", inPlay: "进行中", awaiting: "本阶段情景时间已到，等待导调结束本阶段",
      close: "结束本阶段，进入下一阶段", closeLast: "结束最后阶段，结束演练", closeAsk: "结束阶段 {phase}？此后不能回到本阶段。",
      to: "提问对象", capability: "能力", points: "预案要点", answers: "回答", noAnswers: "尚无回答",
      answer: "提交回答", unit: "回答单位", ratings: "评估观察", rate: "记录评估", note: "说明",
      rateCapability: "按能力评估", plan: "下载改进计划（CSV）", pending: "未开始", current: "进行中", closed: "已结束",
      P: "P 无挑战完成", S: "S 有一些挑战", M: "M 有重大挑战", U: "U 未能完成",
    },
    en: {
      title: "Discussion-based exercise: phases and questions", phase: "Phase", inPlay: "in play",
      awaiting: "The phase's scenario time is over: waiting for the facilitator to close it",
      close: "Close this phase, open the next", closeLast: "Close the last phase, end the exercise",
      closeAsk: "Close phase {phase}? It cannot be reopened.",
      to: "To", capability: "Capability", points: "Expected points", answers: "Answers", noAnswers: "No answer yet",
      answer: "Send answer", unit: "Answering unit", ratings: "Observations", rate: "Record observation", note: "Note",
      rateCapability: "Rate a capability", plan: "Download the improvement plan (CSV)", pending: "pending",
      current: "in play", closed: "closed",
      P: "P performed without challenges", S: "S with some challenges", M: "M with major challenges", U: "U unable to perform",
    },
  };
  const say = (key, params) => {
    const text = (WORDS[ui.lang()] || WORDS.zh)[key] || WORDS.zh[key] || key;
    return params ? text.replace(/\{(\w+)\}/g, (_, name) => String(params[name] === undefined ? "" : params[name])) : text;
  };
  const span = (seconds) => {
    const total = Math.round(Number(seconds) || 0);
    return "T+" + Math.floor(total / 3600) + ":" + String(Math.floor((total % 3600) / 60)).padStart(2, "0");
  };
  const has = (me, roles) => !!me && (me.roles || []).some((r) => roles.includes(r));

  /** The tabletop panel of one run; polls its discussion; returns a function that stops it. */
  function panel(root, exerciseId) {
    const params = { exercise_id: exerciseId };
    const box = h("section.panel.tabletop", { hidden: true }, h("h2", say("title")));
    const body = h("div.body");
    const status = h("span.status", { role: "status" });
    box.appendChild(body);
    root.appendChild(box);
    let me = null;
    let names = {};
    let capabilityTitles = {};
    let timer = null;
    let disposed = false;
    const drafts = {}; // typed but unsent answers and notes survive a refresh

    const send = (name, extra, payload) => api.command(name, Object.assign({}, params, extra), payload)
      .then((outcome) => { reload.soon(); return api.outcomeMessage(outcome); });

    function draft(key, control) {
      if (drafts[key] !== undefined) control.value = drafts[key];
      control.addEventListener("input", () => { drafts[key] = control.value; });
      return control;
    }

    function phaseControl(run, discussion) {
      const current = (discussion.phases || []).find((p) => p.id === discussion.current_phase);
      if (!current || current.state !== "current" || !has(me, FACILITATORS)) return null;
      const last = discussion.phases[discussion.phases.length - 1].id === current.id;
      const label = last ? say("closeLast") : say("close");
      return h("p.buttons", h("button", {
        type: "button", "data-command": "advancePhase", disabled: !["running", "paused"].includes(run.state),
        onclick: async (e) => {
          const button = e.target;
          if (!(await ui.confirmDialog(label, h("p", say("closeAsk", { phase: current.title })), label))) return;
          ui.act(button, () => send("advancePhase", { phase_id: current.id }), status);
        },
      }, label));
    }

    function answerForm(question) {
      if (!has(me, ANSWERERS)) return null;
      const text = draft("a:" + question.id, h("textarea", { name: "text", rows: 3, required: true, maxlength: 4000 }));
      const unit = me.unit ? null : ui.field(say("unit"), ui.select("unit", question.to.map((u) => [u, names[u] || u]), question.to[0]));
      return h("form.answer", {
        onsubmit: (e) => {
          e.preventDefault();
          const f = e.target;
          const payload = { text: f.elements.text.value };
          if (f.elements.unit) payload.unit = f.elements.unit.value;
          ui.act(f.querySelector("button"), () => send("answerQuestion", { question_id: question.id }, payload)
            .then((m) => { delete drafts["a:" + question.id]; return m; }), status);
        },
      }, ui.field(say("answers"), text), unit, h("button", { type: "submit" }, say("answer")));
    }

    function ratingForm(target, key) {
      if (!has(me, ["evaluator"])) return null;
      const note = draft("r:" + key, h("input", { name: "note", maxlength: 4000 }));
      return h("form.inline.rating", {
        onsubmit: (e) => {
          e.preventDefault();
          const f = e.target;
          const payload = Object.assign({ rating: f.elements.rating.value, note: f.elements.note.value }, target);
          ui.act(f.querySelector("button"), () => send("recordObservation", {}, payload), status);
        },
      }, ui.field(say("rate"), ui.select("rating", RATINGS.map((r) => [r, say(r)]), "P")), " ", ui.field(say("note"), note), " ",
      h("button", { type: "submit" }, say("rate")));
    }

    function question(q, discussion) {
      const answers = (discussion.answers || []).filter((a) => a.question_id === q.id);
      const ratings = (discussion.ratings || []).filter((r) => r.question_id === q.id);
      return h("article.question", { "data-question": q.id },
        h("h4", q.text),
        h("p.muted", say("to") + ": " + q.to.map((u) => names[u] || u).join(", ") + " · " + say("capability") + ": "
          + (capabilityTitles[q.capability] || q.capability)),
        has(me, SEE_POINTS) && (q.expect || []).length ? h("details", h("summary", say("points")),
          h("ul", q.expect.map((p) => h("li", p.point + (p.step ? "（" + p.step + "）" : ""))))) : null,
        h("h5", say("answers")),
        answers.length ? h("ul.answers", answers.map((a) => h("li", h("strong", names[a.unit] || a.unit), " ", ui.text(a.text),
          h("small.muted", " — " + a.by + " " + span(a.elapsed_seconds))))) : h("p.empty", say("noAnswers")),
        ratings.length ? [h("h5", say("ratings")), h("ul.ratings", ratings.map((r) => h("li",
          h("span.badge", r.rating), " ", r.evaluator, r.note ? "：" + r.note : "")))] : null,
        answerForm(q), ratingForm({ question_id: q.id }, q.id));
    }

    function render(run) {
      const discussion = run.discussion;
      box.hidden = !discussion;
      if (!discussion) return;
      const capabilities = discussion.capabilities || [];
      names = discussion.unit_names || {};
      capabilityTitles = Object.fromEntries(capabilities.map((c) => [c.id, c.title]));
      fill(body,
        run.awaiting_facilitator && run.state !== "finished" ? h("p.warning", { role: "status" }, say("awaiting")) : null,
        phaseControl(run, discussion), status,
        (discussion.phases || []).map((p) => h("div.phase.phase-" + p.state, { "data-phase": p.id },
          h("h3", say("phase") + " " + p.title + " ", h("span.badge", say(p.state)), h("small.muted", " " + span(p.start_seconds) + "–" + span(p.end_seconds))),
          p.jump && p.state !== "pending" ? h("p.explanation", p.jump) : null,
          p.narrative && p.state !== "pending" ? h("p", p.narrative) : null,
          p.state === "pending" ? null : (p.questions || []).map((q) => question(q, discussion)))),
        has(me, ["evaluator"]) && capabilities.length ? h("div.capability-rating", h("h3", say("rateCapability")),
          capabilities.map((c) => h("div", h("strong", c.title), " ", ratingForm({ capability: c.id }, "c:" + c.id)))) : null,
        run.state === "finished" ? h("p", h("button", {
          type: "button", onclick: (e) => ui.act(e.target, () => api.download("improvementPlan", params, {},
            "improvement-plan-" + exerciseId + ".csv"), status),
        }, say("plan"))) : null);
    }

    const reload = ui.reloader(async function () {
      clearTimeout(timer);
      let next = POLL_MS;
      try {
        if (me === null) me = await api.call("whoami").catch(() => ({ roles: [] }));
        const active = document.activeElement;
        const typing = active && box.contains(active) && ["TEXTAREA", "INPUT", "SELECT"].includes(active.tagName);
        const run = await api.call("discussion", { params: params });
        if (!typing) render(run);
        if (!["running", "paused"].includes(run.state)) next = null;
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
