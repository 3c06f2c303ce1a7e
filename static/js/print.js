// Printed pages show what their <details> hold (the steering group reads pages on paper): every
// closed one is opened before printing and closed again after. The print stylesheet shows their
// content through ::details-content where the browser has it (app.css); this covers browsers
// without it, and the print dialog's preview. The unit tree's folds (data-print-closed) fetch
// their units on opening, so they are left as they are.
//
// Each printed page names its document in its top margin (app.css, @page): the margin box can
// show only static content, so the page's <title> is handed to it as the custom property
// --print-title, on load, after an htmx swap (which may bring a new title: another quarter)
// and before printing. In a constructed stylesheet of its own: no style attribute, which the
// CSP forbids (the CSSOM is not an inline style).
(function () {
  "use strict";

  var opened = [];
  var sheet = null;

  function cssString(text) {
    return '"' + text.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\s+/g, " ") + '"';
  }

  function namePrintedPages() {
    if (!document.title || typeof CSSStyleSheet === "undefined" || !document.adoptedStyleSheets) {
      return;
    }
    try {
      if (sheet === null) {
        sheet = new CSSStyleSheet();
        document.adoptedStyleSheets = document.adoptedStyleSheets.concat([sheet]);
      }
      sheet.replaceSync(":root { --print-title: " + cssString(document.title) + "; }");
    } catch (error) {
      sheet = null; // an older browser: the pages keep the application's name
    }
  }

  namePrintedPages();
  document.addEventListener("htmx:afterSettle", namePrintedPages);

  window.addEventListener("beforeprint", function () {
    namePrintedPages();
    document
      .querySelectorAll("details:not([open]):not([data-print-closed])")
      .forEach(function (details) {
        details.open = true;
        opened.push(details);
      });
  });

  window.addEventListener("afterprint", function () {
    opened.forEach(function (details) {
      details.open = false;
    });
    opened = [];
  });
})();
