/* The service worker for club notices by Web Push (processes/channels/webpush.py).
 * Plain ES2017, no build step. push.js registers it with scope "/" so that a click can
 * bring back any page of the portal; served from elsewhere than "/" the response needs
 * the header "Service-Worker-Allowed: /".
 *
 * The payload is the JSON WebPushSender sends: {title, body, url, tag}. The tag is the
 * notice's outbox id, so a notice resent after a crash replaces its first copy instead
 * of showing twice (and without buzzing again: no renotify).
 */
"use strict";

const DEFAULT_URL = "/portal";
const DEFAULT_TITLE = "Club booking";

self.addEventListener("install", () => self.skipWaiting());
self.addEventListener("activate", (event) => event.waitUntil(self.clients.claim()));

function readPayload(data) {
  if (!data) return {};
  try {
    const payload = data.json();
    return payload && typeof payload === "object" ? payload : {};
  } catch (error) {
    return { body: data.text() };  // not JSON: show it as it came
  }
}

/* Only http(s) pages are opened; a relative url is taken on this worker's origin. */
function targetUrl(url) {
  try {
    const target = new URL(url || DEFAULT_URL, self.location.origin);
    if (target.protocol === "https:" || target.protocol === "http:") return target.href;
  } catch (error) { /* not a URL: fall through */ }
  return new URL(DEFAULT_URL, self.location.origin).href;
}

self.addEventListener("push", (event) => {
  const payload = readPayload(event.data);
  const options = {
    body: typeof payload.body === "string" ? payload.body : "",
    data: { url: targetUrl(payload.url) }
  };
  if (payload.tag) options.tag = String(payload.tag);
  // Browsers require a visible notification for every push (userVisibleOnly).
  event.waitUntil(self.registration.showNotification(payload.title || DEFAULT_TITLE, options));
});

async function focusOrOpen(url) {
  const windows = await self.clients.matchAll({ type: "window", includeUncontrolled: true });
  for (const client of windows) {
    if (client.url === url && "focus" in client) return client.focus();
  }
  return self.clients.openWindow(url);
}

self.addEventListener("notificationclick", (event) => {
  event.notification.close();
  const data = event.notification.data || {};
  event.waitUntil(focusOrOpen(targetUrl(data.url)));
});
