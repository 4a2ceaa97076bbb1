/* Tocsin console: what needs attention now (#/attention, the landing page), the counts in the page title, and
 * the optional sound for a new level II/I incident. GET /attention gives every kind in one answer, most urgent
 * first; a new kind (e.g. public-information drafts) needs only a row in KINDS and its words in the dictionaries. */
"use strict";

(function (T) {
  const { h, fill, t } = T.ui;
  const ui = T.ui;
  const api = T.api;

  // Every kind of item, most urgent first; `act` is what the row offers besides opening the incident.
  const KINDS = [
    { kind: "overdue", act: "openTask" },
    { kind: "alert", act: "ackAlert" },
    { kind: "draft", act: "openDraft" },
    { kind: "failed_delivery", act: "openIncident" },
    { kind: "raised", act: "openIncident" },
    { kind: "opened", act: "openIncident" },
  ];
  const LOUD_LEVELS = ["I", "II"];
  const SOUND_KEY = "tocsin.sound";
  const REFRESH_MS = 30000; // the live feed refreshes sooner; this catches steps that merely became overdue

  /** The attention summary, shared by the title, the nav badge and the view; reloaded on feed events. */
  const watcher = {
    data: null,
    error: null,
    listeners: new Set(),
    seen: null,
    timer: null,
    reload: null,
    subscribe(fn) {
      this.listeners.add(fn);
      if (this.data || this.error) fn(this);
      return () => this.listeners.delete(fn);
    },
    start() {
      if (this.reload) return;
      this.reload = ui.reloader(() => this.load(), 500);
      this.off = T.feed.subscribe((msg) => { if (msg.kind !== "state") this.reload.soon(); });
      this.reload.now();
    },
    stop() {
      if (this.reload) this.reload.dispose();
      if (this.off) this.off();
      clearTimeout(this.timer);
      this.reload = null;
      this.data = null;
      this.error = null;
      this.seen = null;
      document.title = t("title.app");
    },
    async load() {
      clearTimeout(this.timer);
      try {
        this.data = await api.call("attention");
        this.error = null;
        this.chime(this.data.items || []);
      } catch (err) {
        this.error = err;
      }
      showTitle(this.data);
      this.listeners.forEach((fn) => fn(this));
      if (this.reload) this.timer = setTimeout(() => this.reload && this.reload.soon(), REFRESH_MS);
    },
    /** A tone for each new level II/I incident (opened or raised), once sound is switched on. */
    chime(items) {
      const loud = items.filter((i) => (i.kind === "raised" || i.kind === "opened") && LOUD_LEVELS.includes(i.level))
        .map((i) => i.incident_id + "@" + i.level);
      const first = this.seen === null;
      const fresh = loud.filter((key) => !first && !this.seen.has(key));
      this.seen = new Set([...(this.seen || []), ...loud]);
      if (fresh.length && soundOn()) beep();
    },
  };

  function soundOn() {
    return window.localStorage.getItem(SOUND_KEY) === "on";
  }

  let audio = null;
  /** Two short tones made in the page (no sound file to load). */
  function beep() {
    try {
      audio = audio || new (window.AudioContext || window.webkitAudioContext)();
      [0, 0.35].forEach((offset) => {
        const osc = audio.createOscillator();
        const gain = audio.createGain();
        osc.frequency.value = 880;
        gain.gain.value = 0.15;
        osc.connect(gain).connect(audio.destination);
        osc.start(audio.currentTime + offset);
        osc.stop(audio.currentTime + offset + 0.2);
      });
      T.lastChime = Date.now();
    } catch (err) {
      console.error(err);
    }
  }

  /** "(2 逾期 · 1 未确认) 需要处理 — Tocsin": the counts reach a duty officer in another tab too. */
  function showTitle(data) {
    const parts = [];
    const counts = (data && data.counts) || {};
    for (const { kind } of KINDS) if (counts[kind]) parts.push(counts[kind] + " " + t("attention.short." + kind));
    document.title = (parts.length ? "(" + parts.join(" · ") + ") " : "") + t("title.app");
    const badge = document.getElementById("attention-count");
    if (badge) {
      const urgent = (counts.overdue || 0) + (counts.alert || 0) + (counts.draft || 0) + (counts.failed_delivery || 0);
      badge.textContent = urgent ? String(urgent) : "";
      badge.hidden = !urgent;
    }
  }

  // A standalone warning's draft (warning_id) lives on the warning's page, not an incident's.
  const pageOf = (item) => (item.warning_id ? "#/warnings/" : "#/incidents/") + encodeURIComponent(item.incident_id);
  const incidentLink = (item, label) => h("a", { href: pageOf(item) }, label || item.incident_id);

  function sinceText(item) {
    const minutes = Math.round((Date.now() - new Date(item.at).getTime()) / 60000);
    if (item.kind === "overdue" || (item.kind === "alert" && item.overdue)) return t("attention.overdueBy", { minutes: Math.max(minutes, 0) });
    if (item.kind === "alert") return t("attention.dueIn", { minutes: Math.max(-minutes, 0) });
    return t("attention.ago", { minutes: Math.max(minutes, 0) });
  }

  function what(item) {
    switch (item.kind) {
      case "failed_delivery":
        return [h("strong", item.title || t("attention.kind.failed_delivery")), h("br"),
          h("span", t("delivery.line", { recipient: item.recipient || "—", channel: ui.word("channel", item.channel) || "—" })), " ",
          h("span.error", t("delivery.reason", { reason: item.reason || t("delivery.noReason") }))];
      case "raised":
        return [ui.level(item.from_level), " → ", ui.level(item.to_level), " ",
          h("span", item.by ? t("attention.raisedBy", { by: item.by }) : t("attention.raisedByRule")), h("br"),
          h("small", item.rule_title ? ui.explain(item.title, "rule", { rule: item.rule_title }) : ui.explain(item.title))];
      case "draft":
        return [h("strong", item.title || ""), h("br"), h("small.muted", t(item.warning_id ? "attention.warningDraftBy" : "attention.draftBy",
          { kind: ui.word("bulletinKind", item.draft_kind), hazard: item.hazard || "", by: item.by || t("attention.bySystem") }))];
      case "opened":
        return [h("strong", t("attention.newIncident")), h("br"), h("small", ui.explain(item.title))];
      default:
        return [h("strong", item.title || ""), item.owner_name ? [h("br"), h("small.muted", t("attention.owner", { owner: item.owner_name }))] : null];
    }
  }

  function actions(item, act) {
    if (act === "ackAlert") {
      return h("button", {
        type: "button", "data-action": "ack-alert",
        onclick: (e) => ui.act(e.target, () => api.command("ackAlert", { incident_id: item.incident_id, action_key: item.key })
          .then((outcome) => { watcher.reload.soon(); return api.outcomeMessage(outcome); })),
      }, t("task.ackAlert"));
    }
    if (act === "openDraft") {
      // The incident's (or warning's) page opens this draft in its editor (publicinfo.js, warnings.js read T.pendingDraft).
      return h("a.button", { href: pageOf(item),
        onclick: () => { T.pendingDraft = { incident: item.incident_id, key: item.key }; } }, t("attention.openDraft"));
    }
    return h("a.button", { href: pageOf(item) }, t("attention.open"));
  }

  function row(item, act) {
    return h("li.attention-item" + (item.overdue ? ".overdue" : "") + (item.mode === "exercise" ? ".exercise-row" : ""),
      { "data-kind": item.kind, "data-incident": item.incident_id },
      h("div.attention-head", item.warning_id ? (item.warning_level ? T.panels.warningBadge(item.warning_level) : h("span.badge.warning", ui.word("bulletinKind", "warning"))) : ui.level(item.level), " ", item.mode === "exercise" ? ui.exerciseMark(item.exercise_id) : null,
        " ", incidentLink(item, item.place || item.incident_id), " ", h("small.muted", item.place ? item.incident_id : "")),
      h("div.attention-what", what(item)),
      h("div.attention-when", ui.timeCell(item.at), " ", h("small" + (item.overdue ? ".overdue-text" : ".muted"), sinceText(item))),
      h("div.attention-actions", actions(item, act)));
  }

  /** #/attention: the landing page. */
  function attentionView(root) {
    const meta = h("span.meta", { role: "status" }, t("common.loading"));
    const sound = h("input", { type: "checkbox", id: "sound-toggle", checked: soundOn(),
      onchange: (e) => {
        window.localStorage.setItem(SOUND_KEY, e.target.checked ? "on" : "off");
        if (e.target.checked) beep(); // a user gesture: lets the browser play the next tones
      } });
    const body = h("div.attention", { "aria-busy": "true" });
    fill(root, h("div.toolbar", h("h1", t("attention.title")), meta,
      h("label.toggle", { for: "sound-toggle" }, sound, " ", t("attention.sound"))), body);

    const off = watcher.subscribe(function (w) {
      body.removeAttribute("aria-busy");
      if (w.error && !w.data) {
        fill(body, h("p.error", { role: "alert" }, w.error.message));
        fill(meta, "");
        return;
      }
      const data = w.data;
      fill(meta, t("attention.updated", { time: ui.time(data.now) }), w.error ? h("span.error", " " + w.error.message) : null);
      const items = data.items || [];
      const panels = KINDS.map(({ kind, act }) => {
        const mine = items.filter((i) => i.kind === kind);
        const heading = t("attention.kind." + kind) + " (" + mine.length + ")";
        const id = "attention-" + kind;
        return h("section.panel.attention-panel" + (mine.length ? ".has-items" : ""), { "aria-labelledby": id, "data-kind": kind },
          h("h2", { id: id }, heading),
          h("div.body", mine.length ? h("ul.attention-list", mine.map((i) => row(i, act))) : h("p.empty", t("attention.none." + kind))));
      });
      const calm = items.length === 0 ? h("p.calm", t("attention.calm")) : null;
      fill(body, calm, panels);
    });
    return off;
  }

  T.attention = { watcher: watcher, KINDS: KINDS, showTitle: showTitle };
  T.views = T.views || {};
  T.views.attention = attentionView;
})(window.Tocsin = window.Tocsin || {});
