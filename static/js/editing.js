/* Editing pages: progressive enhancement only; every form works without this file.
 * - marks the document as scripted, so the no-JS fallbacks (e.g. "Visa fälten för vald typ")
 *   hide;
 * - a form marked data-submit-once disables its submit buttons once sent (a second click
 *   would be harmless anyway: the server recognises the form's one-time token).
 */
document.documentElement.classList.add("js");
document.addEventListener("submit", function (event) {
  var form = event.target;
  if (!(form instanceof HTMLFormElement) || !form.hasAttribute("data-submit-once")) return;
  if (form.dataset.sent === "yes") {
    event.preventDefault();
    return;
  }
  form.dataset.sent = "yes";
  form.setAttribute("aria-busy", "true");
});
