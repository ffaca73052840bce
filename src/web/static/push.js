/* "Turn on notifications": subscribes this browser to Web Push for the player's notices.
 * Plain ES2017, no build step; without it (or without Push API support) the page works
 * and the notices go by the other channels.
 *
 * Markup it expects:
 *   <button data-push-toggle hidden
 *           data-vapid-key="{{ application server key, base64url }}"
 *           data-sw-url="{{ url of sw.js }}"
 *           data-subscribe-url="..." data-unsubscribe-url="...">Turn on notifications</button>
 *   <p data-push-status></p>
 *   <meta name="csrf-token" content="{{ csrf_token() }}">   (in <head>)
 *
 * On: asks permission, subscribes with the club's key and POSTs the subscription's JSON.
 * Off: unsubscribes the browser, then DELETEs {"endpoint": ...} (if that fails, the push
 * service answers "gone" at the next notice and the server forgets it anyway). On load,
 * an existing subscription is POSTed again so the server's copy stays current (the
 * subscribe URL is expected to be an upsert by endpoint).
 */
(function () {
  "use strict";

  const TURN_ON = "Turn on notifications";
  const TURN_OFF = "Turn off notifications";
  const SAID = {
    on: "Notifications are on for this browser.",
    off: "Notifications are off for this browser.",
    blocked: "Notifications are blocked in this browser's settings.",
    dismissed: "Notifications were not turned on — the browser asked and got no answer.",
    unsupported: "This browser can't receive notifications from the club.",
    failed: "Couldn't change notifications — check your connection and try again."
  };

  /* The application server key as the bytes pushManager.subscribe wants. */
  function keyBytes(base64url) {
    const base64 = (base64url + "===".slice((base64url.length + 3) % 4))
      .replace(/-/g, "+").replace(/_/g, "/");
    const raw = window.atob(base64);
    const bytes = new Uint8Array(raw.length);
    for (let i = 0; i < raw.length; i += 1) bytes[i] = raw.charCodeAt(i);
    return bytes;
  }

  /* Was this subscription made with the key the page has now (not a rotated one)? */
  function sameKey(subscription, key) {
    const options = subscription.options || {};
    if (!options.applicationServerKey) return true;  // the browser doesn't say: trust it
    const had = new Uint8Array(options.applicationServerKey);
    return had.length === key.length && had.every((byte, i) => byte === key[i]);
  }

  function csrfToken() {
    const meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.getAttribute("content") : "";
  }

  async function tellServer(url, method, body) {
    const response = await fetch(url, {
      method: method,
      credentials: "same-origin",
      cache: "no-store",
      headers: {
        "Content-Type": "application/json",
        Accept: "application/json",
        "X-CSRFToken": csrfToken()
      },
      body: JSON.stringify(body)
    });
    if (!response.ok) throw new Error("HTTP " + response.status);
  }

  async function setup(button) {
    const status = document.querySelector("[data-push-status]");
    const key = keyBytes(button.dataset.vapidKey);
    let registration = null;
    let busy = false;

    function show(state, subscribed) {
      button.textContent = subscribed ? TURN_OFF : TURN_ON;
      button.setAttribute("aria-pressed", subscribed ? "true" : "false");
      if (status) status.textContent = SAID[state];
    }

    if (!("serviceWorker" in navigator) || !("PushManager" in window) ||
        !("Notification" in window)) {
      button.hidden = true;
      if (status) status.textContent = SAID.unsupported;
      return;
    }
    if (status && !status.hasAttribute("role")) status.setAttribute("role", "status");

    async function current() {
      const subscription = await registration.pushManager.getSubscription();
      if (subscription && !sameKey(subscription, key)) {
        await subscription.unsubscribe();  // made with an old key: the server can't use it
        return null;
      }
      return subscription;
    }

    async function turnOn() {
      const permission = await Notification.requestPermission();
      if (permission !== "granted") {
        show(permission === "denied" ? "blocked" : "dismissed", false);
        return;
      }
      const subscription = await registration.pushManager.subscribe({
        userVisibleOnly: true,
        applicationServerKey: key
      });
      try {
        await tellServer(button.dataset.subscribeUrl, "POST", subscription.toJSON());
      } catch (error) {
        await subscription.unsubscribe();  // not on unless the server knows it
        throw error;
      }
      show("on", true);
    }

    async function turnOff() {
      const subscription = await registration.pushManager.getSubscription();
      if (subscription) {
        const endpoint = subscription.endpoint;
        await subscription.unsubscribe();
        try {
          await tellServer(button.dataset.unsubscribeUrl, "DELETE", { endpoint: endpoint });
        } catch (error) { /* the push service will answer "gone" at the next notice */ }
      }
      show("off", false);
    }

    try {
      await navigator.serviceWorker.register(button.dataset.swUrl, { scope: "/" });
      registration = await navigator.serviceWorker.ready;  // subscribing needs it active
    } catch (error) {
      button.hidden = true;  // no worker (e.g. a plain-http origin other than localhost)
      if (status) status.textContent = SAID.unsupported;
      return;
    }

    button.addEventListener("click", async (event) => {
      event.preventDefault();
      if (busy) return;
      busy = true;
      button.disabled = true;
      try {
        if (await current()) await turnOff();
        else await turnOn();
      } catch (error) {
        if (Notification.permission === "denied") show("blocked", false);
        else show("failed", Boolean(await current().catch(() => null)));
      } finally {
        busy = false;
        button.disabled = false;
      }
    });

    const subscription = await current().catch(() => null);
    if (subscription) {
      show("on", true);
      tellServer(button.dataset.subscribeUrl, "POST", subscription.toJSON())
        .catch(() => { /* offline now: it was stored when turned on */ });
    } else {
      show(Notification.permission === "denied" ? "blocked" : "off", false);
    }
    button.hidden = false;
  }

  const toggle = document.querySelector("[data-push-toggle]");
  if (toggle) setup(toggle);
})();
