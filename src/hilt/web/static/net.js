// hilt: talking to the server, shared by the labelling page (label.js) and the review page
// (review.js). Loaded before them; they find it as window.hiltNet.
"use strict";
(function () {
  // An id made when a key is pressed, sent with every retry of that request.
  function uuid() {
    if (window.crypto && typeof window.crypto.randomUUID === "function") return window.crypto.randomUUID();
    // randomUUID exists only in secure contexts (https, localhost); a LAN address over http is not one.
    const b = new Uint8Array(16);
    if (window.crypto && window.crypto.getRandomValues) window.crypto.getRandomValues(b);
    else for (let i = 0; i < 16; i++) b[i] = Math.floor(Math.random() * 256);
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    const h = Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
    return h.slice(0, 8) + "-" + h.slice(8, 12) + "-" + h.slice(12, 16) + "-" + h.slice(16, 20) + "-" + h.slice(20);
  }

  const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

  class RequestFailed extends Error {
    constructor(status, message) {
      super(message);
      this.status = status;
    }
  }

  // The onRetrying callbacks whose "retrying" is on: calls made with the same callback share it,
  // so a page shows one "connection lost" state across all its requests.
  const retrying = new Set();

  // Send until the server gives a definite answer: network errors and 5xx are retried with
  // backoff (the same body, so the same answer_id); 4xx is final and thrown as RequestFailed.
  // onRetrying(true) is called before each wait to retry; onRetrying(false) once a definite
  // answer comes, if this or another call with the same callback had said true (so a page passes
  // the same function from all its calls, and one request getting through ends "retrying").
  async function reliably(method, url, body, onRetrying) {
    let delay = 200;
    for (;;) {
      let response = null;
      try {
        response = await fetch(url, {
          method: method,
          headers: body ? { "Content-Type": "application/json" } : {},
          body: body ? JSON.stringify(body) : undefined,
          credentials: "same-origin",
          cache: "no-store",
        });
      } catch (networkError) {
        response = null;
      }
      if (response && response.status < 500 && response.status !== 408 && response.status !== 429) {
        if (retrying.delete(onRetrying) && onRetrying) onRetrying(false);
        if (response.ok) return response;
        let message = "The server refused the request (" + response.status + ").";
        try {
          const data = await response.json();
          if (data && data.error) message = data.error;
        } catch (ignored) { /* not JSON */ }
        throw new RequestFailed(response.status, message);
      }
      retrying.add(onRetrying);
      if (onRetrying) onRetrying(true);
      await sleep(delay);
      delay = Math.min(delay * 2, 4000);
    }
  }

  window.hiltNet = { uuid: uuid, sleep: sleep, RequestFailed: RequestFailed, reliably: reliably };
})();
