// hilt dashboard: re-fetch the server-rendered body every few seconds so counts and the learning
// curve follow the annotators and the background retrains without a reload.
"use strict";
(function () {
  const body = document.getElementById("dash-body");
  if (!body) return;
  const INTERVAL_MS = 3000;

  async function refresh() {
    try {
      const response = await fetch("/dashboard?partial=1", { credentials: "same-origin", cache: "no-store" });
      if (response.ok) {
        // The fragment is rendered by the server with autoescaping; parse it inertly, then adopt.
        const doc = new DOMParser().parseFromString(await response.text(), "text/html");
        body.replaceChildren(...Array.from(doc.body.childNodes));
        body.dataset.refreshed = String(Date.now());
      }
    } catch (ignored) {
      // Offline for a moment: the next tick tries again.
    }
    setTimeout(refresh, INTERVAL_MS);
  }

  setTimeout(refresh, INTERVAL_MS);
})();
