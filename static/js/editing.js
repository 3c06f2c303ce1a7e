/* Editing pages: progressive enhancement only; every form works without this file.
 * - marks the document as scripted, so the no-JS fallbacks (e.g. "Visa fälten för vald typ")
 *   hide;
 * - a form marked data-submit-once disables its submit buttons once sent (a second click
 *   would be harmless anyway: the server recognises the form's one-time token) and shows its
 *   "Sparar …" (includes/saving_indicator.html) until the next page comes; a button marked
 *   data-no-saving (such as "Visa") only shows something, so it says nothing of saving. A page
 *   the browser brings back from its back-forward cache gets its forms ready to send again;
 * - a link of an error summary puts the focus on the input it names, as GOV.UK's error
 *   summary does: browsers do not all focus a fragment's target, and a summary swapped in
 *   by htmx takes the focus itself just after the swap (autofocus), so the link's target
 *   is focused here, after that, rather than left to the fragment navigation;
 * - after "Flytta upp/ned" the page opens at the moved goal or milestone (#goal-…), and a
 *   browser skips autofocus on a page opened at a fragment (HTML's autofocus rules), so the
 *   moved one's move button (data-moved) takes the focus here: a keyboard user moving it
 *   again goes on from where they were (the button is described by the message region, so
 *   "Ordningen är sparad.", there at load and so never announced, is read with it). A refused decision on the quarterly report opens at
 *   its decisions (#beslut) the same way, so the field in error (data-focus-on-open, also
 *   autofocus) takes the focus here too: its error is read with it (aria-describedby) and
 *   what the user types goes into it;
 * - the page after an action's redirect (Spara, Lägg till, Skicka in …) opens with its message
 *   ("Aktiviteten är tillagd.") focused, as the reporting grid focuses its "sparad": the
 *   message region (includes/messages.html, marked data-focus-after-action only when a GET
 *   brings messages) takes the focus once the page has loaded, unless the page's own
 *   autofocus (an error summary, a heading the message describes) or the user took it first;
 * - an input marked data-select-on-focus (the reporting grid's value after "Ersätt värdet")
 *   has its whole value selected when it first takes the focus: focus() leaves the caret
 *   before the old value, so typed digits would be put in front of it ("15" + "12" = 1512).
 *   Once only: a later click places the caret where the user clicks.
 */
document.documentElement.classList.add("js");
(function () {
  function selectOnce(input) {
    if (!(input instanceof HTMLInputElement) || !input.hasAttribute("data-select-on-focus")) return;
    input.removeAttribute("data-select-on-focus");
    input.select();
  }
  document.addEventListener("focusin", function (event) {
    selectOnce(event.target);
  });
  // A page loaded with the input autofocused (the grid without htmx) may focus it before this
  // file runs.
  selectOnce(document.activeElement);
})();
(function () {
  var moved = document.querySelector("button[data-moved], [data-focus-on-open]");
  if (!moved) return;
  // Opening at the fragment focuses its target, or the page when the target cannot take the
  // focus (HTML's "scroll to the fragment"), once the page has loaded: the control takes it
  // back then, unless the user has moved on.
  function focusMoved() {
    var active = document.activeElement;
    if (!active || active === document.body || active === moved) moved.focus();
  }
  focusMoved();
  window.addEventListener("load", function () {
    focusMoved();
    requestAnimationFrame(function () {
      requestAnimationFrame(focusMoved);
    });
  });
})();
(function () {
  var region = document.querySelector("#messages[data-focus-after-action]");
  if (!region || !region.querySelector(".message")) return;
  function focusMessage() {
    var active = document.activeElement;
    if (!active || active === document.body) region.focus();
  }
  // After autofocus has had its turn (it runs at the page's first rendering updates).
  window.addEventListener("load", function () {
    requestAnimationFrame(function () {
      requestAnimationFrame(focusMessage);
    });
  });
})();
document.addEventListener("submit", function (event) {
  var form = event.target;
  if (!(form instanceof HTMLFormElement) || !form.hasAttribute("data-submit-once")) return;
  if (form.dataset.sent === "yes") {
    event.preventDefault();
    return;
  }
  form.dataset.sent = "yes";
  form.setAttribute("aria-busy", "true");
  if (!(event.submitter && event.submitter.hasAttribute("data-no-saving"))) {
    form.classList.add("is-saving");
  }
});
window.addEventListener("pageshow", function (event) {
  if (!event.persisted) return;
  document.querySelectorAll("form[data-submit-once]").forEach(function (form) {
    delete form.dataset.sent;
    form.removeAttribute("aria-busy");
    form.classList.remove("is-saving");
  });
});
document.addEventListener("click", function (event) {
  var link = event.target instanceof Element ? event.target.closest(".error-summary a[href^='#']") : null;
  if (!link) return;
  var target = document.getElementById(decodeURIComponent(link.getAttribute("href").slice(1)));
  if (!target) return;
  event.preventDefault();
  target.scrollIntoView({ block: "center" });
  target.focus();
  if (history.replaceState) history.replaceState(null, "", link.getAttribute("href"));
});
// A goal's kind switch (goals/goal_edit.html) swaps in the kind's fields: "Måldatum", outside
// them, is required for every kind but a direction goal, so its label's "(obligatoriskt)" and
// the input's `required` follow the kind the swapped fieldset says (data-deadline-required).
document.addEventListener("htmx:afterSettle", function (event) {
  var region = event.target;
  if (!(region instanceof Element) || !region.hasAttribute("data-deadline-required")) return;
  var form = region.closest("form");
  var input = form ? form.querySelector("input[name='deadline']") : null;
  if (!input) return;
  var required = region.getAttribute("data-deadline-required") === "true";
  input.required = required;
  var label = input.id ? form.querySelector("label[for='" + input.id + "']") : null;
  if (!label) return;
  var mark = label.querySelector(".required-mark");
  if (required && !mark) {
    mark = document.createElement("span");
    mark.className = "required-mark";
    mark.textContent = region.getAttribute("data-required-text");
    label.append(" ", mark);
  } else if (!required && mark) {
    mark.remove();
  }
});
// "Äldre ändringar" / "Nyare ändringar" (includes/history.html) swap the history section whole:
// the link that had the focus is gone, so the focus goes to the section's heading (the page's
// h1 where it names the history), the page shown is said in #swap-status (GONV.announce,
// swap-status.js), and a message of an earlier action ("Ändringarna är sparade.") is cleared,
// as a new page would have none.
document.addEventListener("htmx:afterSettle", function (event) {
  var section = event.target;
  if (!(section instanceof Element) || !section.matches("section.history")) return;
  var config = event.detail && event.detail.requestConfig;
  var link = config ? config.elt : null;
  if (!(link instanceof Element) || !link.hasAttribute("data-history-pager")) return;
  var heading = document.getElementById(section.id + "-title") || document.getElementById("page-title");
  if (heading) {
    if (!heading.hasAttribute("tabindex")) heading.setAttribute("tabindex", "-1");
    heading.focus();
  }
  var messages = document.getElementById("messages");
  if (messages) messages.textContent = "";
  if (section.hasAttribute("data-page-summary")) {
    window.GONV.announce(section.getAttribute("data-page-summary"));
  }
});
