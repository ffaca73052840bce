/* The player portal (seed 000) and the sandbox checkout. Plain JavaScript, no build
 * step; both pages work without it (their forms post and redirect).
 *
 * Dashboard: each "Available Session" counts down to its offer's end on the server's
 * clock (it may be a test clock); at zero, Pay Now reads "Offer expired" and stops.
 * Every data-poll-seconds it asks GET /api/player/offers which offers still stand
 * (and the server's time, X-Server-Now). Sandbox: the buttons POST the outcome to
 * /api/payments/sandbox/<id>, then go back to the portal, which says how it went.
 */
(function () {
  "use strict";

  var EXPIRED = "Offer expired";
  var EXPIRED_NOTE = "This offer has expired — check the waitlist for your current place.";
  var OFFLINE = "Couldn't reach the server — check your connection and try again.";

  function all(selector, root) {
    return Array.prototype.slice.call((root || document).querySelectorAll(selector));
  }

  /* "2h 15min", "14:59", "1d 3h": as pages_public.countdown_text. */
  function countdownText(ms) {
    var seconds = Math.max(0, Math.floor(ms / 1000));
    var hours = Math.floor(seconds / 3600);
    var minutes = Math.floor((seconds % 3600) / 60);
    if (hours >= 24) return Math.floor(hours / 24) + "d " + (hours % 24) + "h";
    if (hours > 0) return hours + "h " + minutes + "min";
    var rest = seconds % 60;
    return minutes + ":" + (rest < 10 ? "0" : "") + rest;
  }

  function dashboard(root) {
    var skew = Date.parse(root.getAttribute("data-server-now")) - Date.now();
    var pollMs = 1000 * (Number(root.getAttribute("data-poll-seconds")) || 30);
    function serverNow() { return Date.now() + skew; }
    function deadline(card) { return Date.parse(card.getAttribute("data-expires")); }

    function expire(card) {
      if (card.classList.contains("expired")) return;
      card.classList.add("expired");
      var pay = card.querySelector("[data-pay]");
      pay.disabled = true;
      pay.textContent = EXPIRED;
      var decline = card.querySelector("[data-decline]");
      if (decline) decline.hidden = true;
      var line = card.querySelector(".offer-countdown");
      line.textContent = EXPIRED_NOTE;
      line.setAttribute("role", "status");
    }

    function tick() {
      var now = serverNow();
      all("[data-offer]", root).forEach(function (card) {
        var left = deadline(card) - now;
        if (left <= 0) { expire(card); return; }
        var timer = card.querySelector("[data-deadline]");
        var text = countdownText(left);
        if (timer.textContent !== text) timer.textContent = text;
      });
    }

    function compare(offers) {
      var open = {};
      offers.forEach(function (o) { open[o.offer_id] = true; });
      var changed = false;
      all("[data-offer]", root).forEach(function (card) {
        var id = card.getAttribute("data-offer");
        if (open[id]) { delete open[id]; return; }
        // No longer open: its time ran out, or it was paid or declined elsewhere.
        if (deadline(card) <= serverNow()) expire(card);
        else if (!card.classList.contains("expired")) changed = true;
      });
      if (Object.keys(open).length) changed = true;
      root.querySelector("[data-offers-changed]").hidden = !changed;
      tick();
    }

    function poll() {
      if (document.hidden) return;
      fetch(root.getAttribute("data-offers-url"), {
        credentials: "same-origin",
        cache: "no-store",
        headers: { Accept: "application/json" }
      }).then(function (response) {
        var now = response.headers.get("X-Server-Now");
        if (now) skew = Date.parse(now) - Date.now();
        return response.ok ? response.json() : null;
      }).then(function (body) {
        if (body && body.success) compare(body.data);
      }).catch(function () { /* offline for a moment: the countdowns keep going */ });
    }

    tick();
    window.setInterval(tick, 1000);
    window.setInterval(poll, pollMs);
    document.addEventListener("visibilitychange", poll);
  }

  function checkout(root) {
    var form = root.querySelector("[data-sandbox-form]");
    if (!form) return;
    var error = root.querySelector("[data-sandbox-error]");
    var busy = false;

    function failed(message) {
      busy = false;
      error.textContent = message;
      error.hidden = false;
    }

    form.addEventListener("submit", function (event) {
      var button = event.submitter;
      if (!button || !button.value) return;  // an old browser: the form posts itself
      event.preventDefault();
      if (busy) return;
      busy = true;
      fetch(root.getAttribute("data-api-url"), {
        method: "POST",
        credentials: "same-origin",
        cache: "no-store",
        headers: { "Content-Type": "application/json", Accept: "application/json" },
        body: JSON.stringify({ outcome: button.value })
      }).then(function (response) {
        return response.json();
      }).then(function (body) {
        if (body.success) window.location.assign(root.getAttribute("data-back-url"));
        else failed(body.error);
      }, function () { failed(OFFLINE); });
    });
  }

  var portal = document.getElementById("portal");
  if (portal) dashboard(portal);
  var sandbox = document.getElementById("sandbox");
  if (sandbox) checkout(sandbox);
})();
