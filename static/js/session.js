// The warning before the session ends (WCAG 2.2.1): every page's #session-warning dialog
// (templates/includes/session_warning.html) opens a while before the idle limit, which
// "Fortsätt vara inloggad" starts again with one request, or before the absolute limit, which
// it states (it cannot be extended). Typing is no request, so without this a VC filling in a
// long grid would be logged out unwarned. Activity is shared between the user's tabs through
// localStorage: a request in one tab keeps the session (one cookie) alive for all of them.
(function () {
  "use strict";

  var dialog = document.getElementById("session-warning");
  if (!dialog || typeof dialog.showModal !== "function") return;

  var KEY = "gonv-session-activity";
  var data = dialog.dataset;
  var idle = Number(data.idle) * 1000;
  var warning = Number(data.warning) * 1000;
  var absoluteEnd = Date.now() + Number(data.absoluteLeft) * 1000;
  var title = document.getElementById("session-warning-title");
  var text = document.getElementById("session-warning-text");
  var controls = {
    idle: dialog.querySelector("[data-session-extend]"),
    absolute: dialog.querySelector("[data-session-acknowledge]"),
    ended: dialog.querySelector("[data-session-login]"),
    close: dialog.querySelector("[data-session-close]"),
  };
  var lastActivity = 0;
  var shown = null; // "idle", "absolute" or "ended" while the dialog is open
  var acknowledged = false; // the absolute limit, once read, is not said again

  function markActivity() {
    lastActivity = Date.now();
    try {
      localStorage.setItem(KEY, String(lastActivity));
    } catch (e) {
      // Storage off: this tab's own activity still counts.
    }
  }

  function latestActivity() {
    var shared = 0;
    try {
      shared = Number(localStorage.getItem(KEY)) || 0;
    } catch (e) {
      shared = 0;
    }
    return Math.max(lastActivity, shared);
  }

  function clock(ms) {
    var lang = document.documentElement.lang || "sv";
    return new Date(ms).toLocaleTimeString(lang, { hour: "2-digit", minute: "2-digit" });
  }

  function show(state, end) {
    title.textContent = data[state + "Title"];
    text.textContent = data[state + "Text"].replace("{time}", clock(end));
    controls.idle.hidden = state !== "idle";
    controls.absolute.hidden = state !== "absolute";
    controls.ended.hidden = state !== "ended";
    controls.close.hidden = state !== "ended";
    shown = state;
    if (!dialog.open) dialog.showModal();
    controls[state].focus();
  }

  function hide() {
    shown = null;
    if (dialog.open) dialog.close();
  }

  function check() {
    var now = Date.now();
    var idleEnd = latestActivity() + idle;
    var end = Math.min(idleEnd, absoluteEnd);
    if (now >= end) {
      if (shown !== "ended") show("ended", end);
      return;
    }
    if (absoluteEnd <= idleEnd) {
      if (!acknowledged && now >= absoluteEnd - warning && shown !== "absolute") {
        show("absolute", absoluteEnd);
      }
      return;
    }
    if (now >= idleEnd - warning) {
      if (shown !== "idle") show("idle", idleEnd);
    } else if (shown === "idle" || shown === "ended") {
      hide(); // another tab's request kept the session alive
    }
  }

  function extend() {
    fetch(data.keepaliveUrl, {
      method: "POST",
      credentials: "same-origin",
      headers: { "X-CSRFToken": data.csrf },
    })
      .then(function (response) {
        if (response.status === 204) {
          markActivity();
          hide();
          window.GONV.announce(data.extendedText);
        } else {
          show("ended", Date.now());
        }
      })
      .catch(function () {
        text.textContent = data.failedText;
      });
  }

  controls.idle.addEventListener("click", extend);
  controls.absolute.addEventListener("click", function () {
    acknowledged = true;
    hide();
  });
  controls.close.addEventListener("click", hide);
  // Escape is the simplest action of all: for the idle warning it extends, as the button does.
  dialog.addEventListener("cancel", function (event) {
    event.preventDefault();
    if (shown === "idle") extend();
    else if (shown === "absolute") controls.absolute.click();
    else hide();
  });
  // Every request this host answers starts the idle limit again (SESSION_SAVE_EVERY_REQUEST):
  // htmx's and any fetch() of the page's. Not one that got no answer (status 0), a 5xx (Django
  // saves no session with it), or one that found the session ended: a 401, or a fetch
  // redirected to the login page (its path is that of the ended state's link).
  var loginPath = new URL(controls.ended.href, location.href).pathname;

  function noteResponse(status, url) {
    if (!status || status === 401 || status >= 500) return;
    var address = url ? new URL(url, location.href) : null;
    if (address && (address.origin !== location.origin || address.pathname === loginPath)) return;
    markActivity();
  }

  document.addEventListener("htmx:afterRequest", function (event) {
    var xhr = event.detail && event.detail.xhr;
    if (xhr) noteResponse(xhr.status, xhr.responseURL);
  });
  var pageFetch = window.fetch;
  if (pageFetch) {
    window.fetch = function () {
      var answer = pageFetch.apply(this, arguments);
      answer.then(
        function (response) {
          noteResponse(response.status, response.url);
        },
        function () {} // no answer: the caller handles the rejection
      );
      return answer;
    };
  }
  markActivity();
  window.setInterval(check, 1000);
})();
