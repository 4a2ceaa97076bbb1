/* Tocsin console: on an incident's page, the expert group's assessments and public information (drafts, the draft
 * editor with its CAP 1.2 preview, approval and withdrawal; the editor serves standalone warnings too, warnings.js).
 * Nothing reaches the public before a person approves. */
"use strict";

(function (T) {
  const { h, fill, t } = T.ui;
  const ui = T.ui;
  const api = T.api;

  const KINDS = ["information", "refutation", "warning"];
  const WARNING_LEVELS = ["blue", "yellow", "orange", "red"];
  const RECOMMENDATIONS = ["terminate", "lower_level", "maintain", "raise_level"];
  // Who may do what (api/routers/public_info.py DRAFTERS, APPROVERS, ASSESSORS); the API decides in the end.
  const DRAFTERS = ["duty_officer", "commander", "publicity"];
  const APPROVERS = ["publicity", "commander"];
  const EDITABLE = ["headline", "description", "instruction"];

  /** A warning's colour as a badge in that colour (blue, yellow, orange, red; text at AA contrast). */
  const warningBadge = (level) => h("span.badge.warning.warning-" + String(level).replace(/[^\w-]/g, ""), ui.word("warningLevel", level));
  const splitNames = (text) => String(text || "").split(/[,，、;；\n]+/).map((s) => s.trim()).filter(Boolean);
  const has = (me, roles) => !me || (me.roles || []).some((r) => roles.includes(r));

  /**
   * The draft editor of one bulletin, an incident's or a standalone warning's (warnings.js): its public text, the
   * CAP 1.2 preview, save, approve (showing the text once more) and withdraw. `ops` makes the calls, each resolving
   * to the message to show: cap(b) → XML, edit(b, body), approve(b, note), withdraw(b, reason); done() reloads the
   * page, close() closes the editor; `withdrawPublished: false` offers withdrawing for drafts only.
   */
  function draftEditor(b, ops, me) {
    const draft = b.state === "draft";
    const preview = h("pre.cap", { "aria-live": "polite", tabindex: "0" });
    const own = h("div.status", { role: "status" });
    const fields = {
      headline: h("input", { name: "headline", value: b.headline, maxlength: 200, required: true, readOnly: !draft }),
      description: h("textarea", { name: "description", rows: 4, maxlength: 4000, readOnly: !draft }, b.description),
      instruction: h("textarea", { name: "instruction", rows: 2, maxlength: 2000, readOnly: !draft }, b.instruction),
      areas: h("input", { name: "areas", value: (b.areas || []).join("、"), readOnly: !draft }),
    };
    const showCap = () => ops.cap(b).then((xml) => fill(preview, xml)).catch((err) => fill(preview, err.message));
    const withdrawable = draft || (b.state === "published" && ops.withdrawPublished !== false);
    const form = h("form.stack.draft-editor", {
      "data-draft": b.id,
      onsubmit: (e) => {
        e.preventDefault();
        const body = {};
        for (const name of EDITABLE) if (fields[name].value !== (b[name] || "")) body[name] = fields[name].value;
        const areas = splitNames(fields.areas.value);
        if (areas.join("、") !== (b.areas || []).join("、")) body.areas = areas;
        if (!Object.keys(body).length) return;
        ui.act(form.querySelector("button[type=submit]"), () => ops.edit(b, body), own).then(() => ops.done());
      },
    },
    h("h3", t("pi.editor", { kind: ui.word("bulletinKind", b.kind) }), " ", ui.state("pi_" + b.state), " ", h("small.muted", t("pi.revision", { n: b.revision }))),
    ui.field(t("pi.headline"), fields.headline), ui.field(t("pi.description"), fields.description),
    ui.field(t("pi.instruction"), fields.instruction), ui.field(t("pi.areas"), fields.areas, t("assess.expertsHint")),
    h("p.buttons",
      draft ? h("button", { type: "submit", "data-action": "save-draft" }, t("pi.save")) : null, " ",
      h("button", { type: "button", "data-action": "cap-preview", onclick: showCap }, t("pi.capPreview")), " ",
      draft && has(me, APPROVERS) ? h("button.primary", { type: "button", "data-action": "approve-draft", onclick: (e) => approve(e.target, b, ops, own) }, t("pi.approve")) : null, " ",
      withdrawable && has(me, APPROVERS) ? h("button", { type: "button", "data-action": "withdraw-draft", onclick: (e) => withdraw(e.target, b, ops, own) }, t("pi.withdraw")) : null, " ",
      h("button.link", { type: "button", onclick: () => ops.close() }, t("common.close"))),
    own, h("h4", t("pi.capTitle")), preview);
    showCap();
    return form;
  }

  async function approve(button, b, ops, own) {
    const note = h("textarea", { name: "note", rows: 2, maxlength: 2000 });
    const body = [h("p", t("pi.approveAsk")), h("blockquote", h("strong", b.headline), h("br"), b.description), ui.field(t("pi.note"), note)];
    if (!(await ui.confirmDialog(t("pi.approveTitle"), body, t("pi.approve")))) return;
    ui.act(button, () => ops.approve(b, note.value), own).then(() => ops.done());
  }

  /** A dialog asking for a reason (required) before `confirmLabel`; resolves to the reason, or null. */
  async function askReason(title, lead, confirmLabel) {
    const reason = h("textarea", { name: "reason", rows: 2, required: true, maxlength: 2000 });
    const go = ui.confirmDialog(title, [lead, ui.field(t("termination.reason"), reason)], confirmLabel);
    const ok = document.querySelector("dialog.modal:last-of-type button.primary");
    ok.disabled = true;
    reason.addEventListener("input", () => { ok.disabled = !reason.value.trim(); });
    return (await go) ? reason.value : null;
  }

  async function withdraw(button, b, ops, own) {
    const reason = await askReason(t("pi.withdrawTitle"), h("p", b.headline), t("pi.withdraw"));
    if (reason === null) return;
    ui.act(button, () => ops.withdraw(b, reason), own).then(() => ops.done());
  }

  /** The expert group's assessments: the list, and a form to record one (kept while the page refreshes). */
  function assessments(section, incidentId, send) {
    const list = h("div");
    const status = h("div.status", { role: "status" });
    const form = h("form.stack", {
      onsubmit: (e) => {
        e.preventDefault();
        const body = {
          experts: splitNames(form.elements.experts.value),
          conclusion: form.elements.conclusion.value,
          recommendation: form.elements.recommendation.value,
        };
        ui.act(form.querySelector("button[type=submit]"), () => send("recordAssessment", {}, body), status)
          .then((ok) => { if (ok) form.reset(); });
      },
    }, h("h3", t("assess.record")),
      ui.field(t("assess.experts"), h("input", { name: "experts", required: true, maxlength: 2000 }), t("assess.expertsHint")),
      ui.field(t("assess.conclusion"), h("textarea", { name: "conclusion", rows: 2, required: true, maxlength: 4000 })),
      ui.field(t("assess.recommendation"), ui.select("recommendation", RECOMMENDATIONS.map((r) => [r, ui.word("recommendation", r)]), "terminate")),
      h("button", { type: "submit", "data-action": "record-assessment" }, t("assess.submit")), status);
    fill(section.body, list, form);
    const columns = [
      { title: t("col.at"), cell: (a) => ui.timeCell(a.assessed_at) },
      { title: t("assess.experts"), cell: (a) => (a.experts || []).join("、") },
      { title: t("assess.recommendation"), cell: (a) => h("strong", ui.word("recommendation", a.recommendation)) },
      { title: t("assess.conclusion"), cell: (a) => a.conclusion },
    ];
    return {
      render(data) {
        const required = data.required_for || [];
        fill(list, required.length ? h("p.note", t("assess.requiredFor", { what: required.map((d) => ui.word("decision", d)).join("、") })) : null,
          ui.table(columns, (data.items || []).slice().reverse(), t("assess.none")));
      },
      error(err) { fill(list, h("p.error", err.message)); },
    };
  }

  /** Public information: the incident's drafts and publications, a form to draft one, and the draft editor. */
  function publicInfo(section, incidentId, send, me) {
    const params = { incident_id: incidentId };
    const list = h("div");
    const editor = h("div.editor");
    const status = h("div.status", { role: "status" });
    let items = [];
    // Id of the draft in the editor (kept while the page refreshes); the attention view's "review" link names one.
    const pending = T.pendingDraft && T.pendingDraft.incident === incidentId ? T.pendingDraft.key : null;
    T.pendingDraft = null;
    let open = pending;

    const kind = ui.select("kind", KINDS.map((k) => [k, ui.word("bulletinKind", k)]), "information");
    const rumour = h("input", { name: "rumour", maxlength: 500 });
    const warningLevel = ui.select("warning_level", WARNING_LEVELS.map((w) => [w, ui.word("warningLevel", w)]), "blue");
    const hazard = h("input", { name: "hazard", maxlength: 200 });
    const rumourField = ui.field(t("pi.rumour"), rumour);
    const warningFields = h("div.inline-fields", ui.field(t("pi.warningLevel"), warningLevel), ui.field(t("pi.hazard"), hazard));
    const showKindFields = () => {
      rumourField.hidden = kind.value !== "refutation";
      warningFields.hidden = kind.value !== "warning";
      rumour.required = kind.value === "refutation";
      hazard.required = kind.value === "warning";
    };
    kind.addEventListener("change", showKindFields);
    const draftForm = h("form.stack", {
      onsubmit: (e) => {
        e.preventDefault();
        const body = { kind: kind.value };
        if (kind.value === "refutation") body.rumour = rumour.value;
        if (kind.value === "warning") Object.assign(body, { warning_level: warningLevel.value, hazard: hazard.value });
        ui.act(draftForm.querySelector("button[type=submit]"), async () => {
          const outcome = await api.command("draftPublicInfo", params, body);
          if (outcome && outcome.draft_id) open = outcome.draft_id;
          draftForm.reset();
          showKindFields();
          return api.outcomeMessage(outcome);
        }, status).then(() => section.reload());
      },
    }, h("h3", t("pi.new")), ui.field(t("pi.kind"), kind), rumourField, warningFields,
      h("button", { type: "submit", "data-action": "draft-public-info" }, t("pi.draft")));
    showKindFields();
    fill(section.body, list, editor, has(me, DRAFTERS) ? draftForm : null, status);

    const columns = [
      { title: t("pi.kind"), cell: (b) => [ui.word("bulletinKind", b.kind), b.warning_level ? [" ", warningBadge(b.warning_level)] : null] },
      { title: t("col.status"), cell: (b) => ui.state("pi_" + b.state) },
      { title: t("pi.headline"), cell: (b) => b.headline },
      { title: t("col.actions"), class: "actions", cell: (b) => h("div.row-actions",
        h("button.small", { type: "button", "data-action": "open-draft", onclick: () => { open = b.id; showEditor(); } },
          b.state === "draft" ? t("pi.edit") : t("pi.view"))) },
    ];

    // The incident's calls behind the shared editor (draftEditor).
    const ops = {
      cap: (b) => api.call("publicInfoCap", { params: { incident_id: incidentId, draft_id: b.id }, accept: "application/cap+xml" }),
      edit: (b, body) => send("editPublicInfo", { draft_id: b.id }, body),
      approve: (b, note) => send("approvePublicInfo", { draft_id: b.id }, { note: note }),
      withdraw: (b, reason) => send("withdrawPublicInfo", { draft_id: b.id }, { reason: reason }),
      done: () => section.reload(),
      close: () => { open = null; showEditor(); },
    };

    function showEditor() {
      const b = items.find((x) => x.id === open);
      fill(editor, b ? draftEditor(b, ops, me) : null);
    }

    return {
      render(data) {
        items = data.items || [];
        fill(list, ui.table(columns, items, t("pi.none")));
        const shown = editor.querySelector("form");
        const current = items.find((x) => x.id === open);
        const stale = shown && current && shown.dataset.revision !== String(current.revision) + current.state;
        if (!shown || stale) showEditor();
        if (pending && open === pending && !shown && editor.firstChild) editor.scrollIntoView({ block: "start" });
        const form = editor.querySelector("form");
        if (form && current) form.dataset.revision = String(current.revision) + current.state;
      },
      error(err) { fill(list, h("p.error", err.message)); },
    };
  }

  T.panels = {
    assessments: assessments, publicInfo: publicInfo, draftEditor: draftEditor, askReason: askReason,
    WARNING_LEVELS: WARNING_LEVELS, DRAFTERS: DRAFTERS, APPROVERS: APPROVERS, has: has, splitNames: splitNames, warningBadge: warningBadge,
  };
})(window.Tocsin = window.Tocsin || {});
