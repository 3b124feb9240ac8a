// hilt labelling page: keyboard-first, one item on screen, answers queued and retried until saved.
//
// Every answer gets an answer_id when the key is pressed and is sent, in order, until the server
// acknowledges it; a retry reuses the id, so a dropped connection neither loses nor doubles an
// answer. Item text is inserted with textContent only: HTML or script in the data stays inert.
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

  const state = {
    buffer: [],      // items to show; buffer[0] is on screen
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
    return state.buffer.length ? state.buffer[0] : null;
  }

  function known(id) {
    return state.buffer.some((it) => it.id === id) ||
      state.ops.some((op) => op.kind === "answer" && op.body.item_id === id);
  }

  function offer(item) {
    if (item && !known(item.id)) state.buffer.push(item);
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
      return;
    }
    els.item.dataset.itemId = item.id;
    const data = item.data || {};
    const keys = Object.keys(data);
    if (keys.length === 1 && keys[0] === "text") {
      els.text.hidden = false;
      els.table.hidden = true;
      els.text.textContent = String(data.text);
    } else {
      els.text.hidden = true;
      els.table.hidden = false;
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
            const response = await reliably("POST", "/api/answers?next=1", op.body);
            const data = await response.json();
            state.saved += 1;
            state.ops.shift();
            if (data.next) {
              offer(data.next);
              state.exhausted = false;
            } else if (!current()) {
              state.exhausted = true;
            }
          } else {
            const response = await reliably("POST", "/api/undo", { undo_id: op.undoId });
            state.ops.shift();
            if (op.expected !== null) {
              state.buffer = state.buffer.filter((it) => it.id !== op.expected);
            }
            if (response.status === 204) {
              els.feedback.textContent = "Nothing left to undo.";
            } else {
              const data = await response.json();
              state.buffer = state.buffer.filter((it) => it.id !== data.item.id);
              state.buffer.unshift(data.item);
              state.exhausted = false;
              els.feedback.textContent = "Undone: label this item again.";
              if (op.expected === null) render();
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
    if (!current() && !state.exhausted) load();
  }

  async function load() {
    if (state.loading || state.fatal || state.ops.length) return;
    state.loading = true;
    render();
    try {
      const response = await reliably("GET", "/api/next");
      if (response.status === 204) {
        state.exhausted = true;
      } else {
        offer((await response.json()).item);
        state.exhausted = false;
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
    state.buffer.shift();
    state.history.push(item);
    if (state.history.length > 100) state.history.shift();
    state.ops.push({ kind: "answer", body: { item_id: item.id, label: label, answer_id: uuid() } });
    showFeedback(item, label);
    render();
    pump();
  }

  function undo() {
    if (state.fatal) return;
    // Show the item we expect back at once; the server's reply confirms or corrects it.
    const expected = state.history.pop() || null;
    if (expected) {
      state.buffer = state.buffer.filter((it) => it.id !== expected.id);
      state.buffer.unshift(expected);
      els.feedback.textContent = "Undoing…";
    }
    state.ops.push({ kind: "undo", undoId: uuid(), expected: expected ? expected.id : null });
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
