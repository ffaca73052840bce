/* The organiser's pages: countdowns, copy to clipboard, live counts (seed 004 §6).
 * Plain JavaScript, no build step; every page works without it. */
(function () {
  "use strict";

  var centre = document.querySelector("[data-server-now]");
  // Countdowns run on the server's clock (it may be a test clock), not the browser's.
  var skew = centre ? Date.parse(centre.getAttribute("data-server-now")) - Date.now() : 0;

  function pad(n) { return n < 10 ? "0" + n : String(n); }

  /* "2h 15min", "14:59", as the seed writes countdowns. */
  function countdownText(ms) {
    if (ms <= 0) return "due now";
    var seconds = Math.floor(ms / 1000);
    var hours = Math.floor(seconds / 3600);
    var minutes = Math.floor((seconds % 3600) / 60);
    if (hours >= 24) return Math.floor(hours / 24) + "d " + (hours % 24) + "h";
    if (hours > 0) return hours + "h " + minutes + "min";
    return minutes + ":" + pad(seconds % 60);
  }

  function tickCountdowns() {
    var now = Date.now() + skew;
    document.querySelectorAll("[data-deadline]").forEach(function (el) {
      var text = (el.getAttribute("data-prefix") || "") +
        countdownText(Date.parse(el.getAttribute("data-deadline")) - now);
      if (el.textContent !== text) el.textContent = text;
    });
  }

  /* ------------------------------------------------------------ copy */

  var announcer = document.createElement("p");
  announcer.className = "sr-only";
  announcer.setAttribute("aria-live", "polite");
  document.body.appendChild(announcer);

  function fallbackCopy(el) {
    // Without the Clipboard API (plain http), select the text and copy it.
    if (el.select) {
      el.select();
    } else {
      var range = document.createRange();
      range.selectNodeContents(el);
      var selection = window.getSelection();
      selection.removeAllRanges();
      selection.addRange(range);
    }
    try { return document.execCommand("copy"); } catch (e) { return false; }
  }

  function copied(button, ok) {
    var label = button.getAttribute("data-label") || button.textContent;
    button.setAttribute("data-label", label);
    button.textContent = ok ? "Copied" : "Select and copy";
    announcer.textContent = ok ? "Copied to the clipboard." : "Copy failed: the text is selected, copy it by hand.";
    window.setTimeout(function () { button.textContent = label; }, 2000);
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-copy]");
    if (!button) return;
    var el = document.getElementById(button.getAttribute("data-copy"));
    if (!el) return;
    var text = el.value !== undefined ? el.value : el.textContent.trim();
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(text).then(
        function () { copied(button, true); },
        function () { copied(button, fallbackCopy(el)); }
      );
    } else {
      copied(button, fallbackCopy(el));
    }
  });

  /* ----------------------------------------------------- live counts */

  function refreshCounts() {
    if (document.hidden) return;
    fetch(centre.getAttribute("data-live-url"), {
      credentials: "same-origin",
      cache: "no-store",
      headers: { Accept: "application/json" }
    }).then(function (response) {
      var type = response.headers.get("Content-Type") || "";
      // Signed out meanwhile: the answer is the sign-in page, not counts.
      return response.ok && type.indexOf("application/json") === 0 ? response.json() : null;
    }).then(function (counts) {
      if (counts) showCounts(counts);
    }).catch(function () { /* offline for a moment: try again next time */ });
  }

  function showCounts(counts) {
    Object.keys(counts).forEach(function (key) {
      document.querySelectorAll('[data-live="' + key + '"]').forEach(function (el) {
        var text = String(counts[key]);
        if (el.textContent !== text) el.textContent = text;
      });
    });
    var box = document.querySelector('[data-live="booked-box"]');
    if (box) box.classList.toggle("over", counts.booked > counts.capacity);
    var changed = ["booked", "waitlist", "held"].some(function (key) {
      return String(counts[key]) !== centre.getAttribute("data-" + key);
    });
    var notice = document.querySelector("[data-live-notice]");
    if (notice && changed) notice.hidden = false;
  }

  if (document.querySelector("[data-deadline]")) {
    tickCountdowns();
    window.setInterval(tickCountdowns, 1000);
  }
  if (centre && centre.hasAttribute("data-live-url")) {
    var seconds = parseInt(centre.getAttribute("data-refresh-seconds"), 10) || 15;
    window.setInterval(refreshCounts, Math.max(1, seconds) * 1000);
    document.addEventListener("visibilitychange", function () {
      if (!document.hidden) refreshCounts();
    });
  }
})();
