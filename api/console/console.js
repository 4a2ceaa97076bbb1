/* Tocsin console: sign-in, the top bar (language, time zone, feed state), hash routes (#/attention, #/incidents,
 * #/incidents/{id}, #/warnings, #/warnings/{id}, #/drills, #/drills/{id}). */
"use strict";

(function (T) {
  const { h, fill, t } = T.ui;
  const api = T.api;
  const main = document.getElementById("main");
  const who = document.getElementById("who");
  const live = document.getElementById("live");
  const nav = document.getElementById("nav");
  const signOutButton = document.getElementById("signout");
  const zone = document.getElementById("zone");
  const langSelect = document.getElementById("lang");
  let dispose = null;
  let me = null;

  const ROUTES = [
    [/^#\/attention\/?$/, () => T.views.attention(main)],
    [/^#\/incidents\/([^/?]+)$/, (m) => T.views.incident(main, decodeURIComponent(m[1]))],
    [/^#\/incidents(?:\?(.*))?$/, (m) => T.views.incidents(main, new URLSearchParams(m[1] || ""))],
    [/^#\/warnings\/([^/?]+)$/, (m) => T.views.warning(main, decodeURIComponent(m[1]))],
    [/^#\/warnings\/?$/, () => T.views.warnings(main)],
    [/^#\/drills\/([^/?]+)$/, (m) => T.views.drill(main, decodeURIComponent(m[1]))],
    [/^#\/drills\/?$/, () => T.views.drills(main)],
  ];

  function leaveView() {
    if (dispose) {
      try {
        dispose();
      } catch (err) {
        console.error(err);
      }
    }
    dispose = null;
  }

  function route() {
    if (!api.getToken()) {
      signIn("");
      return;
    }
    const hash = window.location.hash || "";
    for (const [pattern, view] of ROUTES) {
      const match = hash.match(pattern);
      if (match) {
        leaveView();
        T.ui.clearFlash();
        fill(main);
        dispose = view(match) || null;
        markNav(hash);
        window.scrollTo(0, 0);
        return;
      }
    }
    window.location.replace("#/attention");
  }

  /** The fixed words of the page (data-t) in the chosen language. */
  function showStaticText() {
    for (const el of document.querySelectorAll("[data-t]")) el.textContent = t(el.getAttribute("data-t"));
    langSelect.value = T.ui.lang();
    zone.textContent = t("time.zone", { zone: T.ui.zoneLabel() });
    zone.title = t("time.zoneTitle");
    T.attention.showTitle(T.attention.watcher.data);
  }

  function markNav(hash) {
    for (const link of nav.querySelectorAll("a")) {
      const current = hash.startsWith(link.getAttribute("href"));
      link.classList.toggle("current", current);
      if (current) link.setAttribute("aria-current", "page");
      else link.removeAttribute("aria-current");
    }
  }

  function showUser() {
    const token = api.getToken();
    // The token's recognisable prefix until GET /whoami answers with the user, roles and scope.
    fill(who, token ? h("span", { title: t("who.tokenTitle") }, t("who.token", { prefix: token.slice(0, 12) })) : "");
    signOutButton.hidden = !token;
    nav.hidden = !token;
    if (!token) return;
    api.call("whoami").then(function (found) {
      me = found;
      T.me = found;
      if (found.time_zone) T.ui.setZone(found.time_zone);
      showStaticText();
      const scope = [found.unit && t("who.unit", { unit: found.unit }), found.exercise_id && t("who.exercise", { id: found.exercise_id })].filter(Boolean);
      fill(who, h("span", { title: t("who.tokenTitle") },
        found.name + " (" + found.roles.map((r) => T.ui.word("role", r)).join("、") + ")" + (scope.length ? " · " + scope.join(" · ") : "")));
    }).catch(function () { /* keep the prefix; the views report API errors */ });
  }

  function showFeedState(state) {
    const words = {
      live: [t("feed.live"), t("feed.liveTitle")],
      polling: [t("feed.polling"), t("feed.pollingTitle", { problem: T.feed.problem || t("feed.connecting") })],
      off: ["", ""],
    }[state] || ["", ""];
    live.textContent = words[0];
    live.title = words[1];
    live.className = "live feed-" + state;
  }

  function signIn(message) {
    leaveView();
    T.feed.stop();
    T.attention.watcher.stop();
    showUser();
    const error = h("p.error", { role: "alert" }, message || "");
    const form = h("form.signin", {
      onsubmit: async (e) => {
        e.preventDefault();
        const token = e.target.elements.token.value.trim();
        if (!token) return;
        const button = e.target.querySelector("button");
        button.disabled = true;
        api.setToken(token);
        try {
          await api.call("incidents", { query: { limit: 1 }, signingIn: true });
          start();
        } catch (err) {
          if (err.status !== 401) {
            start(); // the token may be fine, the API may just not answer: the views say what is wrong
            T.ui.showError(err);
          } else {
            api.clearToken();
            fill(error, err.message);
          }
        } finally {
          button.disabled = false;
        }
      },
    },
    h("h1", t("signin.title")),
    h("p", t("signin.intro"), " ", h("code", "tocsin token issue USER")),
    T.ui.field(t("signin.token"), h("input", { name: "token", type: "password", autocomplete: "off", spellcheck: "false", required: true })),
    h("button", { type: "submit" }, t("signin.submit")),
    error);
    fill(main, form);
    form.elements.token.focus();
  }

  function start() {
    showUser();
    T.feed.start();
    T.attention.watcher.start();
    if (!/^#\/(attention|incidents|warnings|drills)/.test(window.location.hash)) window.location.hash = "#/attention";
    else route();
  }

  /** 401 from any call: the token expired or was revoked; ask for a new one, saying why. */
  T.onUnauthorized = function (error) {
    api.clearToken();
    signIn(t("signin.again", { why: error.message }));
  };

  signOutButton.addEventListener("click", () => {
    api.clearToken();
    signIn(t("signin.signedOut"));
  });
  langSelect.addEventListener("change", () => {
    T.ui.setLang(langSelect.value);
    showStaticText();
    showUser();
    if (api.getToken()) route();
    else signIn("");
  });
  T.feed.subscribe((msg) => { if (msg.kind === "state") showFeedState(msg.state); });
  window.addEventListener("hashchange", () => {
    if (tokenFromFragment()) start();
    else route();
  });

  /** `#token=...` (as `tocsin run` prints it): keep the token, then take it out of the address bar. */
  function tokenFromFragment() {
    const match = (window.location.hash || "").match(/^#token=([^&]+)/);
    if (!match) return false;
    api.setToken(decodeURIComponent(match[1]));
    window.history.replaceState(null, "", window.location.pathname + window.location.search + "#/attention");
    return true;
  }

  T.ui.setLang(T.ui.lang());
  showStaticText();
  tokenFromFragment();
  if (api.getToken()) start();
  else signIn("");
})(window.Tocsin = window.Tocsin || {});
