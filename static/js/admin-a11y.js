// Accessible names that the Django admin's own widgets leave out (WCAG 2.1: 4.1.2 Name, Role,
// Value), as axe-core finds them:
// - select2 (`autocomplete_fields`) names its combobox only by the chosen value, so an empty
//   one (every "add" page) has no name; it gets its field's label, or in a tabular inline the
//   select's aria-label (base.admin.AccessibleTabularInline), as its name.
// - SelectFilter2 (`filter_horizontal`) puts an aria-label on its search icon, a <span> with no
//   role, where ARIA does not allow one; as an image the label becomes the filter box's name.
// - The split date and time inputs of a date-time field (AdminSplitDateTime) have no label of
//   their own; each is named by its field's label and its own caption ("Datum:", "Tid:").
// Both widgets build their markup after the page has loaded (select2 in a jQuery "ready"
// callback, which may run after the load event), and again for each inline row added, so the
// names are set whenever the document changes: in the mutation observer's own callback, a
// microtask run as soon as the widget's script has built its markup, so nothing (a screen
// reader, axe-core) finds a combobox without a name in between. Naming it at the next
// animation frame instead left it unnamed for a moment, and for as long as the tab was hidden.
(function () {
  "use strict";

  function nameComboboxes() {
    document.querySelectorAll("select.admin-autocomplete").forEach(function (select) {
      var container = select.nextElementSibling;
      if (!container || !container.classList.contains("select2")) {
        return;
      }
      var box = container.querySelector(".select2-selection[role=combobox]");
      if (!box || box.dataset.gonvNamed) {
        return;
      }
      var label = select.id ? document.querySelector('label[for="' + select.id + '"]') : null;
      var rendered = box.querySelector(".select2-selection__rendered");
      if (label) {
        if (!label.id) {
          label.id = select.id + "-label";
        }
        box.setAttribute(
          "aria-labelledby",
          rendered && rendered.id ? label.id + " " + rendered.id : label.id
        );
        if (rendered) {
          // select2 gives the chosen value the role of a read-only textbox: it needs a name too.
          rendered.setAttribute("aria-labelledby", label.id);
        }
      } else if (select.getAttribute("aria-label")) {
        box.removeAttribute("aria-labelledby");
        box.setAttribute("aria-label", select.getAttribute("aria-label"));
        if (rendered) {
          rendered.setAttribute("aria-label", select.getAttribute("aria-label"));
        }
      }
      box.dataset.gonvNamed = "1";
    });
  }

  function roleFilterIcons() {
    document.querySelectorAll("span.help-tooltip[aria-label]:not([role])").forEach(function (icon) {
      icon.setAttribute("role", "img");
    });
  }

  function nameSplitDateTimes() {
    document.querySelectorAll("p.datetime input:not([aria-label])").forEach(function (input) {
      if (input.id && document.querySelector('label[for="' + input.id + '"]')) {
        return;
      }
      var row = input.closest(".form-row, .fieldBox, td");
      var label = row ? row.querySelector("label") : null;
      var caption = "";
      var node = input.previousSibling;
      while (node && node.nodeType !== Node.ELEMENT_NODE) {
        caption = (node.textContent || "") + caption;
        node = node.previousSibling;
      }
      caption = caption.trim().replace(/:$/, "");
      var name = [label ? label.textContent.trim().replace(/:$/, "") : "", caption]
        .filter(Boolean)
        .join(" – ");
      if (name) {
        input.setAttribute("aria-label", name);
      }
    });
  }

  function mend() {
    nameComboboxes();
    nameSplitDateTimes();
    roleFilterIcons();
  }

  document.addEventListener("DOMContentLoaded", function () {
    mend();
    // Only added and removed nodes: the attributes mend() sets do not call it again.
    new MutationObserver(mend).observe(document.body, { childList: true, subtree: true });
  });
  window.addEventListener("load", mend);
})();
