// Ledgerline's service worker: shows notifications — those the open page asks for while it
// is hidden, and Web Push messages when no page is open — and opens the right thread when
// one is clicked. It caches nothing: the messenger needs the network anyway.
"use strict";

self.addEventListener("install", () => self.skipWaiting());
self.addEventListener("activate", (event) => event.waitUntil(self.clients.claim()));

// A Web Push message (RFC 8030, decrypted by the browser: RFC 8291): {title, body, tag,
// page_id, topic}. Shown unless a Ledgerline page is visible (it shows the message itself).
self.addEventListener("push", (event) => {
  let data = {};
  try {
    data = event.data ? event.data.json() : {};
  } catch (e) {
    data = { title: "Ledgerline", body: event.data ? event.data.text() : "" };
  }
  event.waitUntil(
    self.clients.matchAll({ type: "window", includeUncontrolled: true }).then((windows) => {
      if (windows.some((w) => w.visibilityState === "visible")) return undefined;
      return self.registration.showNotification(data.title || "Ledgerline", {
        body: data.body || "",
        tag: data.tag,
        icon: "/static/icon-192.png",
        badge: "/static/icon-192.png",
        requireInteraction: data.topic === "alerts",
        data: { page_id: data.page_id, topic: data.topic },
      });
    }),
  );
});

self.addEventListener("notificationclick", (event) => {
  event.notification.close();
  const pageId = event.notification.data && event.notification.data.page_id;
  const url = pageId ? "/?thread=" + encodeURIComponent(pageId) : "/";
  event.waitUntil(
    self.clients.matchAll({ type: "window", includeUncontrolled: true }).then((windows) => {
      for (const w of windows) {
        if ("focus" in w) return w.navigate(url).then((c) => (c || w).focus());
      }
      return self.clients.openWindow(url);
    }),
  );
});
