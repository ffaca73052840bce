/* The shared link's page (seed 004 §5.2, §8.2, §18). Plain JavaScript, no build step.
 *
 * The page arrives rendered for a visitor. With the phone this device remembers
 * (localStorage), it asks GET /api/booking/match/<id>/live for that player's
 * standing, answers IN / OUT / WAITLIST and claims through the JSON API, and
 * re-renders from each answer. It polls every 15 s (data-poll-seconds) and
 * ticks its countdowns every second on the server's clock. The words come from
 * the server (data-copy); refusals are shown in the API's own words.
 */
(function () {
  "use strict";

  var root = document.getElementById("booking");
  if (!root) return;
  var PHONE_KEY = "booking.phone";
  var copy = JSON.parse(root.getAttribute("data-copy"));
  var state = JSON.parse(root.getAttribute("data-state"));
  var timezone = root.getAttribute("data-timezone");
  var token = root.getAttribute("data-token");
  var pollMs = 1000 * Number(root.getAttribute("data-poll-seconds") || 15);
  // Countdowns run on the server's clock (it may be a test clock), not the browser's.
  var skew = Date.parse(root.getAttribute("data-server-now")) - Date.now();

  var phone = remembered();
  var lastPosition = null;   // our own last write: the next poll reads after it
  var pendingAction = null;  // the answer waiting for a name (name_required)
  var earlyWords = null;     // the API's "Too early — …" after a tap
  var joinPosition = null;   // from a match_full refusal
  var dead = false;          // the link stopped working: stop asking
  var pollSeq = 0;           // only the newest question's answer is shown
  var busy = false;          // a write on its way: taps wait (nothing is disabled, focus stays)

  function $(id) { return document.getElementById(id); }
  function fill(template, values) {
    return template.replace(/\{(\w+)\}/g, function (whole, key) {
      return Object.prototype.hasOwnProperty.call(values, key) ? String(values[key]) : whole;
    });
  }
  function serverNow() { return Date.now() + skew; }  // the server's clock, as last heard

  /* ------------------------------------------------------------ storage */
  // localStorage may be refused (private mode): the page then forgets on reload.
  function remembered() {
    try { return window.localStorage.getItem(PHONE_KEY); } catch (e) { return null; }
  }
  function remember(value) {
    phone = value;
    try { window.localStorage.setItem(PHONE_KEY, value); } catch (e) { /* not kept */ }
  }
  function forget() {
    phone = null;
    try { window.localStorage.removeItem(PHONE_KEY); } catch (e) { /* nothing kept */ }
  }

  /* ---------------------------------------------------------- time words */
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

  // en-US gives the short names Python's %a and %b give ("Sep", not "Sept").
  function parts(iso, options) {
    var found = {};
    var all = Object.assign({ timeZone: timezone, hourCycle: "h23", hour: "2-digit", minute: "2-digit" }, options);
    new Intl.DateTimeFormat("en-US", all).formatToParts(new Date(iso))
      .forEach(function (p) { found[p.type] = p.value; });
    return found;
  }
  /* "Tue 24 Nov 19:00" in the match's time zone, as booking_domain.wording.local_time. */
  function localTime(iso) {
    var p = parts(iso, { weekday: "short", day: "numeric", month: "short" });
    return p.weekday + " " + p.day + " " + p.month + " " + p.hour + ":" + p.minute;
  }
  function clockTime(iso) {  // "19:05", as wording.clock_time
    var p = parts(iso, {});
    return p.hour + ":" + p.minute;
  }

  /* ------------------------------------------------------------- render */
  function show(el, visible) { el.hidden = !visible; }
  function setText(el, text) { if (el.textContent !== text) el.textContent = text; }

  function mode() {
    if (dead || state.closed) return "closed";
    if (state.status === "IN") return "in";
    if (state.status === "HELD") return "held";
    if (state.grace_until) return "grace";
    if (state.status === "WAITLIST") return "queued";
    if (state.opens_at && Date.parse(state.opens_at) > serverNow()) return "early";
    if (joinPosition || state.spots_left <= 0) return "full";
    return "open";
  }
  function beforeWindow(opening) {
    var values = { tier: opening.tier, time: localTime(opening.opens_at) };
    if (opening.ringer) return fill(copy.before_window_ringer, values);
    return fill(opening.b_and_c_together ? copy.before_window_together : copy.before_window, values);
  }
  /* "until 19:05" today, "until Tue 24 Nov 19:05" further off. */
  function untilText(iso) {
    return Date.parse(iso) - serverNow() < 20 * 3600 * 1000 ? clockTime(iso) : localTime(iso);
  }
  function renderHold() {
    // A paid offer's place (seed 000): paid for in the portal, not claimed here.
    var held = state.status === "HELD" && !!state.hold_until;
    show($("held-note"), held);
    if (held) setText($("held-words"), fill(copy.held_until, { time: untilText(state.hold_until) }));
  }
  function myStatus() {
    switch (state.status) {
      case "IN": return copy.you_in;
      case "HELD": return state.hold_until ? "" : copy.you_held;
      case "WAITLIST": return fill(copy.you_queued, { position: state.waitlist_position || "?" });
      case "MAYBE": return copy.you_maybe;
      case "OUT":
        if (state.grace_until) return fill(copy.you_grace, { time: clockTime(state.grace_until) });
        return state.out_flexible ? copy.you_out_flexible : copy.you_out;
      default: return "";
    }
  }

  function renderCounts() {
    setText($("counts"), fill(copy.status, {
      booked: state.booked, capacity: state.capacity, waiting: state.waitlist
    }));
    var opening = state.opening;
    show($("opening-note"), !!opening && !state.closed);
    if (opening) {
      setText($("opening-words"), opening.b_and_c_together
        ? copy.status_opens_together : fill(copy.status_opens, { tier: opening.tier }));
      $("opening-countdown").setAttribute("data-deadline", opening.opens_at);
    }
  }

  function renderBanners(current) {
    var offer = state.offer && !state.instant_claim && current !== "closed" ? state.offer : null;
    // A banner appearing is not announced by itself: say it once, urgently.
    if (offer && $("offer-banner").hidden) setText($("announce"), copy.offer);
    if (!offer) setText($("announce"), "");
    show($("offer-banner"), !!offer);
    if (offer) $("offer-countdown").setAttribute("data-deadline", offer.expires_at);
    show($("instant-banner"), !!state.instant_claim && current !== "closed");
    show($("instant-claim"), state.status === "WAITLIST");
  }
  function renderWho() {
    show($("phone-form"), !phone && !dead);
    show($("who"), !!phone && !dead);
    if (phone) setText($("who-phone"), phone);
  }

  function renderButtons(current) {
    var inButton = $("in-button");
    var outButton = $("out-button");
    var position = joinPosition || (state.waitlist + 1);
    var full = current === "full";
    inButton.setAttribute("data-action", full ? "WAITLIST" : "IN");
    setText(inButton, full ? fill(copy.join_waitlist, { position: position }) : "IN");
    inButton.setAttribute("aria-pressed", current === "in" ? "true" : "false");
    inButton.disabled = current === "closed" || current === "early" ||
      (current === "queued" && state.spots_left <= 0);
    outButton.disabled = current === "closed";
    outButton.setAttribute("aria-pressed",
      state.status === "OUT" || state.status === "MAYBE" ? "true" : "false");
    if (state.status === "OUT") $("out-flexible").checked = !!state.out_flexible;
    var early = current === "early";
    show($("opens-in"), early);
    if (early) $("opens-countdown").setAttribute("data-deadline", state.opens_at);
    var spots = current === "open" && state.spots_left > 0;
    show($("spots"), spots);
    if (spots) setText($("spots"), fill(copy.spots_badge, { n: state.spots_left }));
  }

  function hintFor(current) {
    if (current === "closed") return dead ? "" : state.closed;
    if (current === "early") {
      if (earlyWords) return earlyWords + " " + copy.too_early_tail;
      return state.opening ? beforeWindow(state.opening) : "";
    }
    if (current === "full") return fill(copy.full, { position: joinPosition || state.waitlist + 1 });
    if (current === "open") {
      return state.spots_left === 1 ? copy.spot_left : fill(copy.spots_left, { n: state.spots_left });
    }
    return "";
  }

  function render() {
    var current = mode();
    if (current !== "early") earlyWords = null;
    renderCounts();
    renderBanners(current);
    renderWho();
    renderButtons(current);
    setText($("my-status"), myStatus());
    renderHold();
    setText($("hint"), hintFor(current));
    tick();
  }

  /* ---------------------------------------------------------- countdowns */
  var expired = {};  // deadlines already reported to the server
  function tick() {
    var now = serverNow();
    document.querySelectorAll("[data-deadline]").forEach(function (el) {
      var deadline = el.getAttribute("data-deadline");
      var left = Date.parse(deadline) - now;
      setText(el, countdownText(left));
      // A window opened or an offer ran out: ask the server what is true now.
      if (left <= 0 && !el.closest("[hidden]") && !expired[deadline]) {
        expired[deadline] = true;
        poll();
      }
    });
  }

  /* --------------------------------------------------------------- talk */
  function showError(message) {
    setText($("error"), message || "");
    show($("error"), !!message);
  }
  function request(url, options) {
    return fetch(url, Object.assign({ credentials: "same-origin", cache: "no-store" }, options))
      .then(function (response) {
        var position = response.headers.get("X-Event-Position");
        return response.json().then(function (body) {
          return { ok: response.ok && body.success, body: body, position: position };
        });
      });
  }
  /* The token was rotated or the match is over: say so once, and stop. */
  function linkDead(body) {
    dead = true;
    showError(body.error);
    render();
  }

  /* GET /live (for ``askFor``, a phone typed but not yet remembered). */
  function poll(askFor) {
    if (dead) return Promise.resolve(false);
    var mine = ++pollSeq;
    var who = askFor || phone;
    var query = "?token=" + encodeURIComponent(token);
    if (who) query += "&phone=" + encodeURIComponent(who);
    if (lastPosition) query += "&after=" + encodeURIComponent(lastPosition);
    return request(root.getAttribute("data-live-url") + query, { method: "GET" })
      .then(function (answer) {
        if (!answer.ok) {
          if (answer.body.code === "invalid_token") linkDead(answer.body);
          else if (askFor) showError(answer.body.error);
          else if (answer.body.code === "invalid_phone") { forget(); render(); }
          return false;
        }
        // An answer overtaken by a newer question (a write since) would show the past.
        if (mine !== pollSeq) return true;
        state = answer.body.data;
        skew = Date.parse(state.now) - Date.now();
        // Refused as full: keep offering the queue, at its current length.
        if (["IN", "WAITLIST", "HELD"].indexOf(state.status) >= 0) joinPosition = null;
        else if (joinPosition) joinPosition = state.waitlist + 1;
        render();
        return true;
      }, function () { return false; });
  }
  function post(url, body) {
    busy = true;
    root.setAttribute("aria-busy", "true");
    return request(url, {
      method: "POST",
      headers: { "Content-Type": "application/json", "Accept": "application/json" },
      body: JSON.stringify(body)
    }).then(function (answer) {
      busy = false;
      root.setAttribute("aria-busy", "false");
      return answer;
    }, function () {
      busy = false;
      root.setAttribute("aria-busy", "false");
      showError(copy.offline);
      return null;
    });
  }
  function currentPhone() {
    if (phone) return phone;
    var typed = $("phone").value.trim();
    if (typed) return typed;
    showError(copy.phone_first);
    $("phone").focus();
    return null;
  }

  function answered(answer, who) {
    var data = answer.body.data;
    if (who !== phone) remember(who);
    lastPosition = answer.position || lastPosition;
    ["status", "waitlist_position", "offer", "grace_until", "out_flexible"].forEach(function (k) {
      state[k] = data[k];
    });
    state.hold_until = data.hold;
    joinPosition = pendingAction = null;
    show($("name-form"), false);
    showError(null);
    render();
    poll();
  }

  function refused(answer, who, action, extra) {
    var body = answer.body;
    var data = body.data || {};
    switch (body.code) {
      case "name_required":
        pendingAction = { action: action, extra: extra };
        showError(null);
        show($("name-form"), true);
        $("name").focus();
        return;
      case "too_early":
        if (who !== phone) remember(who);
        state.opens_at = data.opens_at;
        earlyWords = body.error;
        showError(null);
        render();
        poll();
        return;
      case "match_full":
        if (who !== phone) remember(who);
        joinPosition = data.waitlist_position_if_joined;
        break;
      case "invalid_token":
        linkDead(body);
        return;
      case "invalid_phone":
        if (!remembered()) $("phone").focus();
        break;
    }
    showError(body.error);
    render();
    poll();
  }

  /* POST /respond (an action) or /waitlist/claim (none), then show the answer. */
  function send(action, extra) {
    var who = currentPhone();
    if (!who || busy) return;
    var body = { match_id: root.getAttribute("data-match-id"), token: token, phone: who };
    if (action) Object.assign(body, { action: action, source: "web" }, extra || {});
    var url = root.getAttribute(action ? "data-respond-url" : "data-claim-url");
    post(url, body).then(function (answer) {
      if (answer && answer.ok) answered(answer, who);
      else if (answer) refused(answer, who, action || "IN", extra || {});
    });
  }

  /* ------------------------------------------------------------- wiring */
  $("in-button").addEventListener("click", function () { send(this.getAttribute("data-action")); });
  $("out-button").addEventListener("click", function () {
    send("OUT", { out_flexible: $("out-flexible").checked });
  });
  $("out-flexible").addEventListener("change", function () {
    // Already OUT: the toggle is the answer; otherwise it goes with the next OUT.
    if (state.status === "OUT" && phone) send("OUT", { out_flexible: this.checked });
  });
  document.querySelectorAll("[data-claim]").forEach(function (button) {
    button.addEventListener("click", function () { send(null); });
  });
  document.querySelector(".tip-toggle").addEventListener("click", function () {
    var open = this.getAttribute("aria-expanded") !== "true";
    this.setAttribute("aria-expanded", open ? "true" : "false");
    show($("flexible-tip"), open);
  });
  $("phone-form").addEventListener("submit", function (event) {
    event.preventDefault();
    var who = currentPhone();
    if (!who) return;
    poll(who).then(function (found) {
      if (!found) return;
      remember(who);
      showError(null);
      render();
    });
  });
  $("forget").addEventListener("click", function () {
    forget();
    lastPosition = joinPosition = pendingAction = null;
    show($("name-form"), false);
    showError(null);
    state.status = state.offer = state.grace_until = state.waitlist_position = null;
    state.hold_until = null;
    render();
    $("phone").value = "";
    $("phone").focus();
    poll();
  });
  $("name").addEventListener("input", function () {
    setText($("name-count"), this.value.length + "/14");
  });
  $("name-form").addEventListener("submit", function (event) {
    event.preventDefault();
    var name = $("name").value.trim();
    if (name.length > 14) { showError(copy.name_too_long); return; }
    if (!pendingAction) return;
    send(pendingAction.action, Object.assign({}, pendingAction.extra, { name: name }));
  });
  document.addEventListener("visibilitychange", function () { if (!document.hidden) poll(); });
  window.setInterval(function () { if (!document.hidden) poll(); }, pollMs);
  window.setInterval(tick, 1000);
  render();
  if (phone) poll();
})();
