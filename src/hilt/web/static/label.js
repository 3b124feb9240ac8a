// hilt labelling page: keyboard-first, one item on screen, answers queued and retried until saved.
//
// Every answer gets an answer_id when the key is pressed and is sent, in order, until the server
// acknowledges it; a retry reuses the id, so a dropped connection neither loses nor doubles an
// answer. Item text is inserted with textContent only: HTML or script in the data stays inert.
//
// Prefetch: each reply carries the item leased next and a preview of the one after it. A key
// press sends the answer and puts the preview on screen at once; the reply then confirms it (or,
// when another annotator took it meanwhile, replaces it with the item leased instead).
// The page only ever takes the server's word when no request is pending, so it shows what the
// server holds for this annotator: a reload resumes on the same item.
"use strict";
(function () {
  const root = document.getElementById("labeller");
  if (!root) return;

  const els = {
    text: document.getElementById("item-text"),
    table: document.getElementById("item-table"),
    item: document.getElementById("item"),
    done: document.getElementById("done"),
    position: document.getElementById("position"),
    save: document.getElementById("save-state"),
    feedback: document.getElementById("feedback"),
    choices: Array.from(document.querySelectorAll(".choice")),
    skip: document.getElementById("skip"),
    undo: document.getElementById("undo"),
  };
  const labels = els.choices.map((b) => b.dataset.label);

  // The item on screen is `shown`. It is "confirmed" once the server said it is leased to this
  // annotator; before that it is the preview (`ahead`) the previous reply brought, shown the
  // moment a key is pressed so the next item appears at once. Whatever is on screen, an answer
  // names the item it is for; the server's reply then says which item really comes next.
  const state = {
    shown: null,
    confirmed: false,
    ahead: null,     // preview of the item after `shown` (not leased)
    ops: [],         // answers and undos not yet acknowledged, oldest first
    history: [],     // items answered on this page, newest last (for instant undo)
    pumping: false,
    loading: false,  // a GET /api/next in flight
    exhausted: false,
    saved: 0,
    recent: [],      // did the model's guess match? last 20 labelled answers
    retrying: false,
    fatal: null,
  };

  function uuid() {
    if (window.crypto && typeof window.crypto.randomUUID === "function") {
      return window.crypto.randomUUID();
    }
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

  // Send until the server gives a definite answer: network errors and 5xx are retried with
  // backoff (the same body, so the same answer_id); 4xx is final and thrown.
  async function reliably(method, url, body) {
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
        if (state.retrying) {
          state.retrying = false;
          renderSaveState();
        }
        if (response.ok) return response;
        let message = "The server refused the request (" + response.status + ").";
        try {
          const data = await response.json();
          if (data && data.error) message = data.error;
        } catch (ignored) { /* not JSON */ }
        throw new RequestFailed(response.status, message);
      }
      state.retrying = true;
      renderSaveState();
      await sleep(delay);
      delay = Math.min(delay * 2, 4000);
    }
  }

  function current() {
    return state.shown;
  }

  // Take the server's word for what is leased to this annotator (`item`) and what likely follows.
  // Only called when no request of ours is pending, so the page and the server agree afterwards.
  function settle(item, ahead) {
    if (!item) {
      state.shown = null;
      state.ahead = null;
      state.exhausted = true;
    } else {
      state.shown = item;  // the same item as the preview on screen, or a correction of it
      state.ahead = ahead && ahead.id !== item.id ? ahead : null;
      state.exhausted = false;
    }
    state.confirmed = !!item;
  }

  // ---- rendering ----------------------------------------------------------------------------

  function renderItem() {
    const item = current();
    const showDone = !item && state.exhausted && !state.ops.length && !state.loading;
    els.done.hidden = !showDone;
    els.item.hidden = showDone;
    els.item.classList.toggle("waiting", !item);
    const tbody = els.table.tBodies[0];
    tbody.replaceChildren();
    if (!item) {
      els.text.hidden = false;
      els.table.hidden = true;
      els.text.textContent = showDone ? "" : "Loading the next item…";
      els.item.removeAttribute("data-item-id");
      els.item.removeAttribute("data-confirmed");
      return;
    }
    els.item.dataset.itemId = item.id;
    els.item.dataset.confirmed = state.confirmed ? "1" : "0";
    const data = item.data || {};
    // Text items: the text large, any other columns in a small key/value table below it.
    // Table items: the key/value table alone.
    const hasText = Object.prototype.hasOwnProperty.call(data, "text");
    els.text.hidden = !hasText;
    els.text.textContent = hasText ? String(data.text) : "";
    const keys = Object.keys(data).filter((key) => key !== "text");
    els.table.hidden = keys.length === 0;
    for (const key of keys) {
      const row = document.createElement("tr");
      const th = document.createElement("th");
      const td = document.createElement("td");
      th.textContent = key;
      const value = data[key];
      td.textContent = value === null || value === undefined ? "" : String(value);
      row.append(th, td);
      tbody.append(row);
    }
  }

  function renderSaveState() {
    const pending = state.ops.filter((op) => op.kind === "answer").length;
    let text;
    let cls;
    if (state.fatal) {
      text = state.fatal;
      cls = "error";
    } else if (state.retrying) {
      text = "connection lost: retrying… (" + pending + " unsaved)";
      cls = "error";
    } else if (state.ops.length) {
      text = "saving…";
      cls = "saving";
    } else if (state.saved) {
      text = "saved ✓";
      cls = "saved";
    } else {
      text = "";
      cls = "";
    }
    els.save.textContent = text;
    els.save.className = "save-state " + cls;
    els.position.textContent = state.saved
      ? state.saved + " answer" + (state.saved === 1 ? "" : "s") + " saved on this page"
      : "Press a number key to label";
  }

  function render() {
    renderItem();
    renderSaveState();
    const disabled = !current() || !!state.fatal;
    for (const b of els.choices) b.disabled = disabled;
    els.skip.disabled = disabled;
    els.undo.disabled = !!state.fatal;
  }

  function showFeedback(item, label) {
    els.feedback.replaceChildren();
    if (label === null) {
      els.feedback.textContent = "Skipped.";
      return;
    }
    if (!item.guess) {
      els.feedback.textContent = "You said “" + label + "”. No model yet: it trains after the first few labels.";
      return;
    }
    const agree = item.guess === label;
    state.recent.push(agree);
    if (state.recent.length > 20) state.recent.shift();
    const hits = state.recent.filter(Boolean).length;
    const verdict = document.createElement("strong");
    verdict.className = agree ? "agree" : "disagree";
    verdict.textContent = agree ? "agreed" : "guessed “" + item.guess + "”";
    const tail = document.createElement("span");
    tail.className = "muted";
    tail.textContent = " · it matched you on " + hits + " of your last " + state.recent.length + " labels";
    els.feedback.append("You said “" + label + "”; the model ", verdict, tail);
  }

  // ---- the op queue ---------------------------------------------------------------------------

  async function pump() {
    if (state.pumping) return;
    state.pumping = true;
    try {
      while (state.ops.length && !state.fatal) {
        const op = state.ops[0];
        renderSaveState();
        try {
          if (op.kind === "answer") {
            const response = await reliably("POST", "/api/answers?next=1&ahead=1", op.body);
            const data = await response.json();
            state.saved += 1;
            state.ops.shift();
            if (!state.ops.length) settle(data.next, data.ahead);
          } else {
            const response = await reliably("POST", "/api/undo?ahead=1", { undo_id: op.undoId });
            state.ops.shift();
            if (response.status === 204) {
              els.feedback.textContent = "Nothing left to undo.";
              if (!state.ops.length) {
                // What the page showed as undone was not: ask the server what this annotator holds.
                state.shown = null;
                state.confirmed = false;
                state.exhausted = false;
              }
            } else {
              const data = await response.json();
              if (!state.ops.length) settle(data.item, data.ahead);
              els.feedback.textContent = "Undone: label this item again.";
            }
          }
        } catch (error) {
          state.ops.shift();
          if (error.status === 401) {
            state.fatal = "Your session is not valid any more: open your annotator link again.";
          } else {
            els.feedback.textContent = error.message;
          }
        }
        render();
      }
    } finally {
      state.pumping = false;
    }
    if (!state.ops.length && !state.fatal && (!state.shown || !state.confirmed) && !state.exhausted) load();
  }

  async function load() {
    if (state.loading || state.fatal || state.ops.length) return;
    state.loading = true;
    render();
    try {
      const response = await reliably("GET", "/api/next?ahead=1");
      if (!state.ops.length) {  // an answer typed meanwhile brings its own next item
        if (response.status === 204) settle(null, null);
        else {
          const data = await response.json();
          settle(data.item, data.ahead);
        }
      }
    } catch (error) {
      if (error.status === 401) state.fatal = "Your session is not valid any more: open your annotator link again.";
      else els.feedback.textContent = error.message;
    } finally {
      state.loading = false;
      render();
    }
  }

  // ---- actions --------------------------------------------------------------------------------

  function answer(label) {
    const item = current();
    if (!item || state.fatal) return;
    state.history.push(item);
    if (state.history.length > 100) state.history.shift();
    state.ops.push({ kind: "answer", body: { item_id: item.id, label: label, answer_id: uuid() } });
    // Prefetch: the preview goes on screen at once; the reply confirms or corrects it.
    state.shown = state.ahead;
    state.ahead = null;
    state.confirmed = false;
    showFeedback(item, label);
    render();
    pump();
  }

  function undo() {
    if (state.fatal) return;
    // Show the item we expect back at once; the server's reply confirms or corrects it.
    const expected = state.history.pop() || null;
    if (expected) {
      if (state.shown && state.shown.id !== expected.id) state.ahead = state.shown;
      state.shown = expected;
      state.confirmed = false;
      state.exhausted = false;
      els.feedback.textContent = "Undoing…";
    }
    state.ops.push({ kind: "undo", undoId: uuid() });
    render();
    pump();
  }

  els.choices.forEach((button) => {
    button.addEventListener("click", () => answer(button.dataset.label));
  });
  els.skip.addEventListener("click", () => answer(null));
  els.undo.addEventListener("click", () => undo());

  document.addEventListener("keydown", (event) => {
    if (event.ctrlKey || event.metaKey || event.altKey || event.repeat) return;
    const target = event.target;
    if (target && (target.tagName === "INPUT" || target.tagName === "TEXTAREA" || target.isContentEditable)) return;
    const key = event.key;
    if (/^[1-9]$/.test(key)) {
      const index = Number(key) - 1;
      if (index < labels.length) {
        event.preventDefault();
        answer(labels[index]);
      }
    } else if (key === "s" || key === "S") {
      event.preventDefault();
      answer(null);
    } else if (key === "u" || key === "U" || key === "Backspace") {
      event.preventDefault();
      undo();
    }
  });

  // Leaving with unsaved answers: ask the browser to warn.
  window.addEventListener("beforeunload", (event) => {
    if (state.ops.length) {
      event.preventDefault();
      event.returnValue = "";
    }
  });

  // For tests and the curious: how many answers are still waiting for the server.
  window.hilt = { pending: () => state.ops.length, state: state };

  render();
  load();
})();
