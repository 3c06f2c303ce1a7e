// The page's one polite live region, #swap-status in base.html, which stays for the page's
// life: a region swapped in with the new content would be new each time, and screen readers
// often do not announce those. GONV.announce(text) is the one way our scripts speak there (the
// history pager in editing.js, the session warning in session.js); base.html and the admin's
// base_site.html load this file before them. A page without the region (the admin) says nothing.
//
// Here it says what an htmx swap now shows (the quarter, unit or measure a select chose): a
// swapped region names what it shows in data-swap-summary ("Visar Kv 3 2026"), rendered with
// it on the server (and cached with it); this only copies it over.
(function () {
  "use strict";

  function statusRegion() {
    return document.getElementById("swap-status");
  }

  // Cleared, then set: the same text said again is new content, so it is announced again.
  function announce(text) {
    var status = statusRegion();
    if (!status) return;
    status.textContent = "";
    status.textContent = text;
  }

  window.GONV = window.GONV || {};
  window.GONV.announce = announce;

  document.addEventListener("htmx:afterSettle", function (event) {
    var swapped = event.target;
    if (!(swapped instanceof Element) || !swapped.hasAttribute("data-swap-summary")) return;
    announce(swapped.getAttribute("data-swap-summary"));
  });

  // Not kept in htmx's history snapshot: Back restores the page, not the last announcement.
  document.addEventListener("htmx:beforeHistorySave", function () {
    var status = statusRegion();
    if (status) status.textContent = "";
  });
})();
