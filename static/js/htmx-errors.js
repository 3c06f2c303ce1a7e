// Says in #messages (base.html's message region, role="status", there for the page's life) when
// an htmx request fails, which htmx by itself does not: the htmx-config in base.html swaps no
// 4xx/5xx answer (but 409 and 422, which carry a form), so without this a failed select or
// save would change nothing on the page and say nothing.
// - The text: an error answer in text/plain carries its own (the server's reason: "Du har blivit
//   utloggad …" from gonv.middleware.HtmxLoginRedirectMiddleware, a CSRF rejection from
//   gonv.views.csrf_failure); any other (an HTML error page) gets the page's own, rendered in
//   #messages' data-error-* attributes (includes/messages.html) in the user's language.
// - A save that fails takes the focus to the message, as the grids' error summary does; what the
//   user typed stays in the form. A select or filter form that fails goes back to what the page
//   shows (the value it was rendered with: its default), so it does not claim the new choice.
// - A CSRF rejection brings a current token (a login in another tab rotates it): it goes into
//   the page and the form is sent once more, so one press of Spara after logging in saves.
// - The message goes at the next request that succeeds.
(function () {
  "use strict";

  var CSRF_HEADER = "X-CSRFToken";
  var SAFE_VERBS = ["get", "head", "options"];
  var resending = typeof WeakSet === "function" ? new WeakSet() : null;
  var pendingResend = null;

  function region() {
    return document.getElementById("messages");
  }

  function isSafe(detail) {
    var verb = detail.requestConfig ? String(detail.requestConfig.verb).toLowerCase() : "get";
    return SAFE_VERBS.indexOf(verb) !== -1;
  }

  function say(text, focus) {
    var messages = region();
    if (!messages || !text) return;
    var line = document.createElement("p");
    line.className = "message message-error";
    line.setAttribute("data-htmx-error", "");
    line.tabIndex = -1;
    line.textContent = text;
    // The latest outcome only: an earlier "Ändringarna är sparade." would contradict it.
    messages.replaceChildren(line);
    if (focus) line.focus();
  }

  function serverText(xhr) {
    var type = xhr && xhr.getResponseHeader("Content-Type");
    if (!type || type.indexOf("text/plain") !== 0) return "";
    return (xhr.responseText || "").trim();
  }

  // The controls of a GET form (or a select with its own hx-get) whose value names what is shown.
  // Typed text is left as typed: it is the user's, and says nothing the page claims to show.
  function choiceControls(elt) {
    if (elt instanceof HTMLFormElement) return Array.prototype.slice.call(elt.elements);
    if (elt instanceof HTMLSelectElement || elt instanceof HTMLInputElement) return [elt];
    return [];
  }

  function backToShown(elt) {
    choiceControls(elt).forEach(function (control) {
      if (control instanceof HTMLSelectElement) {
        Array.prototype.forEach.call(control.options, function (option) {
          option.selected = option.defaultSelected;
        });
      } else if (control.type === "checkbox" || control.type === "radio") {
        control.checked = control.defaultChecked;
      }
    });
  }

  // After a successful swap the choice is what the page shows: make it the default, so a later
  // failure goes back to it (a form outside the region it swaps is not rendered anew).
  function shownIsChosen(elt) {
    choiceControls(elt).forEach(function (control) {
      if (control instanceof HTMLSelectElement) {
        Array.prototype.forEach.call(control.options, function (option) {
          option.defaultSelected = option.selected;
        });
      } else if (control.type === "checkbox" || control.type === "radio") {
        control.defaultChecked = control.checked;
      }
    });
  }

  function renewToken(token) {
    var body = document.body;
    var headers = {};
    try {
      headers = JSON.parse(body.getAttribute("hx-headers") || "{}");
    } catch (error) {
      headers = {};
    }
    headers[CSRF_HEADER] = token;
    body.setAttribute("hx-headers", JSON.stringify(headers));
    document.querySelectorAll("input[name='csrfmiddlewaretoken']").forEach(function (input) {
      input.value = token;
    });
  }

  function formOf(detail) {
    var elt = detail.elt;
    if (elt instanceof HTMLFormElement) return elt;
    return elt && elt.form instanceof HTMLFormElement ? elt.form : null;
  }

  function failed(event, text) {
    var detail = event.detail;
    if (isSafe(detail)) {
      backToShown(detail.elt);
      say(text, false);
    } else {
      say(text, true);
    }
  }

  document.addEventListener("htmx:responseError", function (event) {
    var detail = event.detail;
    var xhr = detail.xhr;
    var token = xhr.getResponseHeader(CSRF_HEADER);
    if (token) {
      renewToken(token);
      var form = formOf(detail);
      if (form && resending && !resending.has(form) && !isSafe(detail)) {
        var trigger = detail.requestConfig && detail.requestConfig.triggeringEvent;
        pendingResend = { form: form, submitter: trigger ? trigger.submitter : null };
        return;
      }
    }
    var messages = region();
    var fallback = messages
      ? messages.getAttribute(isSafe(detail) ? "data-error-fetch" : "data-error-save")
      : "";
    failed(event, serverText(xhr) || fallback);
  });

  function networkFailed(event) {
    var messages = region();
    failed(event, messages ? messages.getAttribute("data-error-network") : "");
  }
  document.addEventListener("htmx:sendError", networkFailed);
  document.addEventListener("htmx:timeout", networkFailed);

  document.addEventListener("htmx:afterRequest", function (event) {
    var detail = event.detail;
    var form = formOf(detail);
    if (pendingResend && pendingResend.form === form) {
      var resend = pendingResend;
      pendingResend = null;
      resending.add(form);
      // After htmx has ended this request (hx-sync would drop a new one sent now) and given
      // the buttons back (hx-disabled-elt): the same button again, so the same action.
      window.setTimeout(function () {
        if (resend.submitter && resend.submitter.form === form) {
          form.requestSubmit(resend.submitter);
        } else {
          form.requestSubmit();
        }
      }, 0);
      return;
    }
    if (form && resending) resending.delete(form);
    if (detail.successful === true && isSafe(detail)) shownIsChosen(detail.elt);
  });

  document.addEventListener("htmx:afterSwap", function () {
    var messages = region();
    if (!messages) return;
    messages.querySelectorAll("[data-htmx-error]").forEach(function (line) {
      line.remove();
    });
  });
})();
