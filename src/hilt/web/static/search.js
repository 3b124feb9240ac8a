// hilt: the search page. Finds items (GET /api/search, GET /api/similar), lets the person tick
// them, labels the ticked ones at once (POST /api/label-many, one group) and undoes the last
// group (POST /api/undo-batch). Item text is only ever inserted with textContent.
"use strict";
(function () {
  const net = window.hiltNet;
  const root = document.getElementById("searcher");
  const multilabel = root.dataset.task === "multilabel";
  const PAGE = 20;
  const $ = (id) => document.getElementById(id);
  const state = { query: "", offset: 0, more: false, similarTo: null, found: [], lastBatch: null, busy: false };
  const done = new Map(); // item id -> the label this page gave it (shown beside the item)

  function say(text, kind) {
    const feedback = $("feedback");
    feedback.textContent = text;
    feedback.className = "feedback" + (kind ? " " + kind : "");
  }

  function itemText(item) {
    const data = item.data || {};
    if (typeof data.text === "string") return data.text;
    return Object.keys(data).map((k) => k + "=" + String(data[k])).join(" · ");
  }

  function ticked() {
    return Array.from(document.querySelectorAll("#results input.tick:checked")).map((box) => box.dataset.id);
  }

  function chosenLabel() {
    if (multilabel) {
      return Array.from(document.querySelectorAll("#label-set input:checked")).map((box) => box.value);
    }
    const select = $("label-choice");
    return select && select.value ? select.value : null;
  }

  function refreshButton() {
    const button = $("label-many");
    const all = $("select-all");
    const boxes = document.querySelectorAll("#results input.tick");
    const n = ticked().length;
    if (all) all.checked = boxes.length > 0 && n === boxes.length;
    if (!button) return;
    button.textContent = "Label " + n + " item" + (n === 1 ? "" : "s");
    const label = chosenLabel();
    button.disabled = state.busy || n === 0 || label === null;
  }

  function render() {
    const list = $("results");
    list.replaceChildren();
    state.found.forEach((item) => {
      const li = document.createElement("li");
      li.className = "result";
      li.dataset.id = item.id;
      const box = document.createElement("input");
      box.type = "checkbox";
      box.className = "tick";
      box.dataset.id = item.id;
      box.setAttribute("aria-label", "tick item " + item.id);
      box.addEventListener("change", refreshButton);
      const body = document.createElement("div");
      const text = document.createElement("div");
      text.className = "result-text";
      text.textContent = itemText(item);
      const id = document.createElement("div");
      id.className = "result-id";
      id.textContent = item.id;
      body.append(text, id);
      if (done.has(item.id)) {
        const mark = document.createElement("div");
        mark.className = "result-done";
        mark.textContent = "labelled " + done.get(item.id);
        body.append(mark);
      }
      const similar = document.createElement("button");
      similar.type = "button";
      similar.className = "ghost result-similar";
      similar.textContent = "similar";
      similar.addEventListener("click", () => findSimilar(item.id));
      li.append(box, body, similar);
      list.append(li);
    });
    $("tools").hidden = state.found.length === 0;
    const paging = !state.similarTo && (state.offset > 0 || state.more);
    $("paging").hidden = !paging;
    $("prev").disabled = state.offset === 0;
    $("next").disabled = !state.more;
    $("page-number").textContent = "page " + (Math.floor(state.offset / PAGE) + 1);
    refreshButton();
  }

  async function getJson(url) {
    const response = await net.reliably("GET", url, null, (on) => { if (on) say("Connection lost: retrying…", "error"); });
    return response.json();
  }

  async function search(offset) {
    const query = $("q").value.trim();
    if (!query) { say("Type a word to search for."); return; }
    state.query = query;
    state.similarTo = null;
    try {
      const reply = await getJson("/api/search?" + new URLSearchParams({ q: query, limit: PAGE, offset: offset }));
      state.found = reply.found;
      state.offset = reply.offset;
      state.more = reply.more;
      $("summary").textContent = reply.found.length
        ? "Items " + (reply.offset + 1) + "–" + (reply.offset + reply.found.length) + " for “" + query + "”" + (reply.more ? " (more on the next page)" : "")
        : (reply.offset ? "No more items for “" + query + "”." : "No items hold every word of “" + query + "”.");
      say("");
      render();
    } catch (error) {
      say(error.message, "error");
    }
  }

  async function findSimilar(itemId) {
    try {
      const reply = await getJson("/api/similar?" + new URLSearchParams({ item_id: itemId, k: PAGE }));
      state.found = reply.found;
      state.similarTo = itemId;
      state.offset = 0;
      state.more = false;
      $("summary").textContent = reply.found.length
        ? "The " + reply.found.length + " items most like " + itemId
        : "No item has anything in common with " + itemId + ".";
      say("");
      render();
    } catch (error) {
      say(error.message, "error");
    }
  }

  async function labelMany() {
    const ids = ticked();
    const label = chosenLabel();
    if (!ids.length || label === null) return;
    const batch = net.uuid(); // made once: every retry of this request sends the same group id
    state.busy = true;
    refreshButton();
    say("Saving " + ids.length + " answers…", "saving");
    try {
      const response = await net.reliably("POST", "/api/label-many", { item_ids: ids, label: label, batch_id: batch },
        (on) => { if (on) say("Connection lost: retrying…", "error"); });
      const reply = await response.json();
      const shown = Array.isArray(label) ? (label.length ? label.join(", ") : "none") : label;
      ids.forEach((id) => done.set(id, shown));
      state.lastBatch = reply.batch;
      $("undo-batch").hidden = false;
      say("Labelled " + reply.n_labelled + " item" + (reply.n_labelled === 1 ? "" : "s") + " " + shown + ".", "saved");
      render();
    } catch (error) {
      say(error.message, "error");
    } finally {
      state.busy = false;
      refreshButton();
    }
  }

  async function undoBatch() {
    if (!state.lastBatch) return;
    try {
      const response = await net.reliably("POST", "/api/undo-batch", { batch_id: state.lastBatch },
        (on) => { if (on) say("Connection lost: retrying…", "error"); });
      const reply = await response.json();
      done.clear();
      state.lastBatch = null;
      $("undo-batch").hidden = true;
      say("Undone: " + reply.n_retracted + " answer" + (reply.n_retracted === 1 ? "" : "s") + " retracted.", "saved");
      render();
    } catch (error) {
      say(error.message, "error");
    }
  }

  $("search-form").addEventListener("submit", (event) => { event.preventDefault(); search(0); });
  $("prev").addEventListener("click", () => search(Math.max(0, state.offset - PAGE)));
  $("next").addEventListener("click", () => search(state.offset + PAGE));
  $("select-all").addEventListener("change", (event) => {
    document.querySelectorAll("#results input.tick").forEach((box) => { box.checked = event.target.checked; });
    refreshButton();
  });
  document.querySelectorAll("#label-choice, #label-set input").forEach((el) => el.addEventListener("change", refreshButton));
  if ($("label-many")) $("label-many").addEventListener("click", labelMany);
  $("undo-batch").addEventListener("click", undoBatch);
})();
