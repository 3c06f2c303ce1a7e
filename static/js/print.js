// Printed pages show what their <details> hold (the steering group reads pages on paper): every
// closed one is opened before printing and closed again after. The print stylesheet shows their
// content through ::details-content where the browser has it (app.css); this covers browsers
// without it, and the print dialog's preview. The unit tree's folds (data-print-closed) fetch
// their units on opening, so they are left as they are.
(function () {
  "use strict";

  var opened = [];

  window.addEventListener("beforeprint", function () {
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
