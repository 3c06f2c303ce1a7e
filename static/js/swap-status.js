// Says what an htmx swap now shows (the quarter, unit or measure a select chose) in the page's
// one polite live region, #swap-status in base.html, which stays for the page's life: a region
// swapped in with the new content would be new each time, and screen readers often do not
// announce those. A swapped region names what it shows in data-swap-summary ("Visar Kv 3
// 2026"), rendered with it on the server (and cached with it); this only copies it over.
(function () {
  "use strict";

  function statusRegion() {
    return document.getElementById("swap-status");
  }

  document.addEventListener("htmx:afterSettle", function (event) {
    var swapped = event.target;
    if (!(swapped instanceof Element) || !swapped.hasAttribute("data-swap-summary")) return;
    var status = statusRegion();
    if (status) status.textContent = swapped.getAttribute("data-swap-summary");
  });

  // Not kept in htmx's history snapshot: Back restores the page, not the last announcement.
  document.addEventListener("htmx:beforeHistorySave", function () {
    var status = statusRegion();
    if (status) status.textContent = "";
  });
})();
