/* Tocsin console: sign-in, the top bar, hash routes (#/incidents, #/incidents/{id}, #/drills, #/drills/{id}). */
"use strict";

(function (T) {
  const { h, fill } = T.ui;
  const api = T.api;
  const main = document.getElementById("main");
  const who = document.getElementById("who");
  const live = document.getElementById("live");
  const nav = document.getElementById("nav");
  const signOutButton = document.getElementById("signout");
  let dispose = null;

  const ROUTES = [
    [/^#\/incidents\/([^/?]+)$/, (m) => T.views.incident(main, decodeURIComponent(m[1]))],
    [/^#\/incidents(?:\?(.*))?$/, (m) => T.views.incidents(main, new URLSearchParams(m[1] || ""))],
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
    window.location.replace("#/incidents");
  }

  function markNav(hash) {
    for (const link of nav.querySelectorAll("a")) {
      link.classList.toggle("current", hash.startsWith(link.getAttribute("href")));
    }
  }

  function showUser() {
    const token = api.getToken();
    // The token's recognisable prefix until GET /whoami answers with the user, roles and scope.
    fill(who, token ? h("span", { title: "signed in with this bearer token" }, "token " + token.slice(0, 12) + "…") : "");
    signOutButton.hidden = !token;
    nav.hidden = !token;
    if (!token) return;
    api.call("whoami").then(function (me) {
      const scope = [me.unit && "unit " + me.unit, me.exercise_id && "exercise " + me.exercise_id].filter(Boolean);
      fill(who, h("span", { title: "signed in with this bearer token" },
        me.name + " (" + me.roles.join(", ") + ")" + (scope.length ? " · " + scope.join(" · ") : "")));
    }).catch(function () { /* keep the prefix; the views report API errors */ });
  }

  function showFeedState(state) {
    const words = {
      live: ["● live", "live: the live feed is connected"],
      polling: ["○ polling every 5 s", "the live feed is down (" + (T.feed.problem || "connecting") + "); reconnecting"],
      off: ["", ""],
    }[state] || ["", ""];
    live.textContent = words[0];
    live.title = words[1];
    live.className = "live feed-" + state;
  }

  function signIn(message) {
    leaveView();
    T.feed.stop();
    showUser();
    const error = h("p.error", message || "");
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
    h("h1", "Tocsin console"),
    h("p", "Sign in with your API token (", h("code", "tocsin token issue USER"), "). It is kept in this browser tab only."),
    h("label", "Bearer token ", h("input", { name: "token", type: "password", autocomplete: "off", spellcheck: "false", required: true, size: 50 })),
    h("button", { type: "submit" }, "Sign in"),
    error);
    fill(main, form);
    form.elements.token.focus();
  }

  function start() {
    showUser();
    T.feed.start();
    if (!/^#\/(incidents|drills)/.test(window.location.hash)) window.location.hash = "#/incidents";
    else route();
  }

  /** 401 from any call: the token expired or was revoked; ask for a new one, saying why. */
  T.onUnauthorized = function (error) {
    api.clearToken();
    signIn(error.message + " — sign in again.");
  };

  signOutButton.addEventListener("click", () => {
    api.clearToken();
    signIn("Signed out.");
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
    window.history.replaceState(null, "", window.location.pathname + window.location.search + "#/incidents");
    return true;
  }

  tokenFromFragment();
  if (api.getToken()) start();
  else signIn("");
})(window.Tocsin = window.Tocsin || {});
