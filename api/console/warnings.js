/* Tocsin console: standalone warnings (预警 without an incident, docs/adr/0027): #/warnings lists them (active
 * first) with a form to issue one; #/warnings/{id} shows one warning's bulletins (Alert, Updates, Cancel) in the
 * shared draft editor (publicinfo.js) with its CAP preview, approval and withdrawal, and adjusts or lifts it.
 * Nothing reaches the public before a publicity officer or commander approves it. */
"use strict";

(function (T) {
  const { h, fill, t } = T.ui;
  const ui = T.ui;
  const api = T.api;
  const P = T.panels;

  // Active first: what the public sees now, then what waits for approval, then the past.
  const STATUS_ORDER = ["active", "draft", "lifted", "discarded"];
  const PUBLISHING_MS = 2000;
  const whoami = () => api.call("whoami").catch(() => null); // unknown: offer the form, the API decides

  /** A warning's state as a badge. */
  const statusBadge = (status) => h("span.badge.state.state-w_" + String(status).replace(/[^\w-]/g, ""), ui.word("warningState", status));

  /** The colour to show: the one on the feed now, else the newest bulletin's (a draft's). */
  function colour(w) {
    if (w.level) return w.level;
    const last = (w.bulletins || []).slice().reverse().find((b) => b.warning_level);
    return last ? last.warning_level : null;
  }

  const warningLink = (w) => h("a", { href: "#/warnings/" + encodeURIComponent(w.id) }, w.hazard || w.id);

  /** The issue form (duty_officer, commander, publicity): hazard, colour, areas and basis; the text comes from
   * the playbook's template and is edited in the draft before approval. */
  function issueForm() {
    const status = h("div.status", { role: "status" });
    const form = h("form.stack.issue-warning", {
      onsubmit: (e) => {
        e.preventDefault();
        const f = form.elements;
        const body = { hazard: f.hazard.value, warning_level: f.warning_level.value, areas: P.splitNames(f.areas.value) };
        if (f.basis.value.trim()) body.basis = f.basis.value;
        ui.act(form.querySelector("button[type=submit]"), async () => {
          const outcome = await api.command("issueWarning", {}, body);
          const message = api.outcomeMessage(outcome);
          if (outcome && outcome.warning_id) {
            ui.flashNext(message.text, message.kind);
            T.pendingDraft = { incident: outcome.warning_id, key: outcome.draft_id };
            window.location.hash = "#/warnings/" + encodeURIComponent(outcome.warning_id);
            return null;
          }
          return message;
        }, status);
      },
    },
      ui.field(t("pi.hazard"), h("input", { name: "hazard", required: true, maxlength: 200 }), t("warning.hazardHint")),
      ui.field(t("pi.warningLevel"), ui.select("warning_level", P.WARNING_LEVELS.map((w) => [w, ui.word("warningLevel", w)]), "blue")),
      ui.field(t("pi.areas"), h("input", { name: "areas", required: true, maxlength: 2000 }), t("assess.expertsHint")),
      ui.field(t("warning.basis"), h("textarea", { name: "basis", rows: 2, maxlength: 2000 }), t("warning.basisHint")),
      h("button.primary", { type: "submit", "data-action": "issue-warning" }, t("warning.issueSubmit")), status);
    return h("section.panel", h("h2", t("warning.issue")), h("div.body", form));
  }

  /** #/warnings: every warning the user may see, active first, newest first within a state; the issue form. */
  function listView(root) {
    const meta = h("span.meta", { role: "status" }, t("common.loading"));
    const list = h("div.list-wrap", { "aria-busy": "true" });
    const side = h("div.col");
    fill(root, h("div.toolbar", h("h1", t("warnings.title")), meta), h("div.columns", side, h("div.col.wide", h("section.panel", h("h2", t("warnings.all")), list))));
    whoami().then((me) => fill(side, P.has(me, P.DRAFTERS) ? issueForm() : h("p.muted", t("warning.noIssue"))));

    const columns = [
      { title: t("warning.colour"), cell: (w) => (colour(w) ? P.warningBadge(colour(w)) : "—") },
      { title: t("pi.hazard"), cell: (w) => [warningLink(w), h("br"), h("small.muted", w.id)] },
      { title: t("pi.areas"), cell: (w) => (w.areas || []).join("、") },
      { title: t("col.status"), cell: (w) => [statusBadge(w.status), w.mode === "exercise" ? [" ", ui.exerciseMark(w.exercise_id)] : null] },
      { title: t("warning.issuedBy"), cell: (w) => w.issued_by || "—" },
      { title: t("warning.issuedAt"), cell: (w) => ui.timeCell(w.issued_at) },
    ];
    const reload = ui.reloader(async function () {
      try {
        const page = await api.call("warnings");
        const items = (page.items || []).slice().sort((a, b) =>
          STATUS_ORDER.indexOf(a.status) - STATUS_ORDER.indexOf(b.status) || String(b.issued_at).localeCompare(String(a.issued_at)));
        const table = ui.table(columns, items, t("warnings.none"));
        if (table.tagName === "TABLE") Array.from(table.tBodies[0].rows).forEach((tr, i) => { tr.dataset.warning = items[i].id; });
        list.removeAttribute("aria-busy");
        fill(list, table);
        fill(meta, t("warnings.shown", { n: items.length, time: ui.time(new Date().toISOString()) }));
      } catch (err) {
        list.removeAttribute("aria-busy");
        ui.showError(err, meta);
      }
    }, 1000);
    reload.now();
    const off = T.feed.subscribe((msg) => { if (msg.kind !== "state") reload.soon(); });
    return () => { off(); reload.dispose(); };
  }

  /** #/warnings/{id}: what was issued, its bulletins with the draft editor, and adjusting or lifting it. */
  function detailView(root, id) {
    const params = { warning_id: id };
    const head = h("div.summary", { role: "status" }, h("h1", id), h("p.muted", t("common.loading")));
    const bulletins = ui.section(t("warning.bulletins"));
    bulletins.el.id = "warning-bulletins";
    const decisions = ui.section(t("warning.decisions"));
    const list = h("div");
    const editor = h("div.editor");
    fill(bulletins.body, list, editor);
    fill(root, head, h("div.columns", h("div.col", decisions.el), h("div.col.wide", bulletins.el)));

    let me = null;
    let warning = null;
    const pending = T.pendingDraft && T.pendingDraft.incident === id ? T.pendingDraft.key : null;
    T.pendingDraft = null;
    let open = pending;
    let shownKey = null;
    let again = null;
    let first = true; // the first load opens the warning's draft waiting for approval, if there is one

    const send = (name, extra, body) => api.command(name, Object.assign({ warning_id: id }, extra), body)
      .then((outcome) => { reload.soon(); return api.outcomeMessage(outcome); });
    const ops = {
      cap: (b) => api.call("warningCap", { params: { warning_id: id, draft_id: b.id }, accept: "application/cap+xml" }),
      edit: (b, body) => send("editWarning", { draft_id: b.id }, body),
      approve: (b, note) => send("approveWarning", { draft_id: b.id }, { note: note }),
      withdraw: (b, reason) => send("withdrawWarningDraft", { draft_id: b.id }, { reason: reason }),
      withdrawPublished: false, // lifting a publication is its own decision (解除预警…)
      done: () => reload.soon(),
      close: () => { open = null; showEditor(true); },
    };

    const columns = [
      { title: t("warning.step"), cell: (b) => ui.word("msgType", b.msg_type) },
      { title: t("warning.colour"), cell: (b) => (b.warning_level ? P.warningBadge(b.warning_level) : "—") },
      { title: t("col.status"), cell: (b) => ui.state("pi_" + b.state) },
      { title: t("pi.headline"), cell: (b) => b.headline },
      { title: t("warning.drafted"), cell: (b) => ui.timeCell(b.created_at) },
      { title: t("col.actions"), class: "actions", cell: (b) => h("div.row-actions",
        h("button.small", { type: "button", "data-action": "open-draft", onclick: () => { open = b.id; showEditor(true); } },
          b.state === "draft" ? t("pi.edit") : t("pi.view"))) },
    ];

    /** The editor on the open bulletin; redrawn only when that bulletin changed (typing survives a refresh). */
    function showEditor(force) {
      const b = warning && (warning.bulletins || []).find((x) => x.id === open);
      const key = b ? b.id + "@" + b.revision + b.state : null;
      if (!force && key === shownKey) return;
      shownKey = key;
      fill(editor, b ? P.draftEditor(b, ops, me) : null);
    }

    const adjustStatus = h("div.status", { role: "status" });
    const adjustLevel = ui.select("warning_level", P.WARNING_LEVELS.map((w) => [w, ui.word("warningLevel", w)]), "");
    const adjustForm = h("form.stack.adjust-warning", {
      onsubmit: (e) => {
        e.preventDefault();
        ui.act(adjustForm.querySelector("button[type=submit]"), async () => {
          const outcome = await api.command("adjustWarning", params, { warning_level: adjustLevel.value });
          if (outcome && outcome.draft_id) open = outcome.draft_id;
          reload.soon();
          return api.outcomeMessage(outcome);
        }, adjustStatus);
      },
    }, h("h3", t("warning.adjust")), h("p.muted", t("warning.adjustHint")),
      ui.field(t("warning.newColour"), adjustLevel),
      h("button", { type: "submit", "data-action": "adjust-warning" }, t("warning.adjustSubmit")), adjustStatus);

    const liftStatus = h("div.status", { role: "status" });
    const liftButton = h("button", { type: "button", "data-action": "lift-warning", onclick: async () => {
      const reason = await P.askReason(t("warning.liftTitle"), h("p", t("warning.liftAsk", { hazard: warning ? warning.hazard : id })), t("warning.lift"));
      if (reason === null) return;
      ui.act(liftButton, async () => {
        const outcome = await api.command("liftWarning", params, { reason: reason });
        if (outcome && outcome.draft_id) open = outcome.draft_id;
        reload.soon();
        return api.outcomeMessage(outcome);
      }, liftStatus);
    } }, t("warning.liftOpen"));
    const liftBlock = h("div", h("h3", t("warning.lift")), h("p.muted", t("warning.liftHint")), h("p", liftButton), liftStatus);

    function renderDecisions(w) {
      const active = w.status === "active";
      const parts = [];
      if (active && P.has(me, P.DRAFTERS)) parts.push(adjustForm);
      if (active && P.has(me, P.APPROVERS)) parts.push(liftBlock);
      if (!parts.length) parts.push(h("p.muted", t(active ? "warning.noDecision" : "warning.notActive." + w.status)));
      if (!decisions.body.contains(parts[0])) fill(decisions.body, parts);
    }

    function renderHead(w) {
      const c = colour(w);
      fill(head,
        h("h1", c ? P.warningBadge(c) : null, " ", w.hazard, " ", statusBadge(w.status), w.mode === "exercise" ? [" ", ui.exerciseMark(w.exercise_id)] : null),
        h("dl.facts-line",
          h("dt", t("warning.id")), h("dd", h("code", w.id)),
          h("dt", t("pi.areas")), h("dd", (w.areas || []).join("、")),
          h("dt", t("warning.basis")), h("dd", w.basis || "—"),
          h("dt", t("warning.issuedBy")), h("dd", w.issued_by || "—"),
          h("dt", t("warning.issuedAt")), h("dd", ui.timeCell(w.issued_at))),
        h("p", h("a", { href: "#/warnings" }, t("warning.back"))));
    }

    const reload = ui.reloader(async function () {
      try {
        me = me || await whoami();
        warning = await api.call("warning", { params: params });
      } catch (err) {
        const missing = err.status === 404;
        fill(head, h("h1", id), h("p.error", { role: "alert" }, missing ? t("warning.notFound", { id: id }) : err.message),
          h("p", h("a", { href: "#/warnings" }, t("warning.back"))));
        if (missing) [bulletins, decisions].forEach((s) => fill(s.body, h("p.muted", "—")));
        return;
      }
      renderHead(warning);
      const items = warning.bulletins || [];
      if (first && open === null) {
        const draft = items.find((b) => b.state === "draft");
        if (draft) open = draft.id;
      }
      first = false;
      fill(list, ui.table(columns, items, t("pi.none")));
      showEditor(false);
      if (pending && open === pending && editor.firstChild && !editor.dataset.scrolled) {
        editor.dataset.scrolled = "1";
        editor.scrollIntoView({ block: "start" });
      }
      renderDecisions(warning);
      // An approved bulletin is being published by the notifier: look again soon, whatever the feed says.
      clearTimeout(again);
      if (items.some((b) => b.state === "approved")) again = setTimeout(() => reload.soon(), PUBLISHING_MS);
    }, 300);
    reload.now();
    const off = T.feed.subscribe((msg) => {
      if (msg.kind === "tick" || msg.kind === "resync" || (msg.kind === "event" && msg.event.incident_id === id)) reload.soon();
    });
    return () => { off(); clearTimeout(again); reload.dispose(); };
  }

  T.views = T.views || {};
  T.views.warnings = listView;
  T.views.warning = detailView;
})(window.Tocsin = window.Tocsin || {});
