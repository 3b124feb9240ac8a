// hilt review page: a reviewer settles disagreements and likely label errors, keyboard first.
//
// The items come in batches from GET /api/review (disagreements first, then the labels the model
// most doubts). A label key sends the decision with an answer_id made when the key is pressed and
// retries it, with the same id, until the server acknowledges it: the server replies only after
// the commit, so "saved" on screen means stored. The reply's final label shows for a moment, then
// the next item. Keys pressed meanwhile wait in `presses` and act on the items that follow, in
// order. Item text goes in with textContent only: HTML or script in the data stays inert.
//
// A multi-label project (data-task="multilabel") shows each person's set side by side (a table:
// a row per label, a column per person) and the same toggles as the labelling page, ticked as
// the final answer is now: a label's key ticks or unticks, Enter decides the ticked set, the
// none key decides [] ("none of these").
//
// A spans project (data-task="spans") shows each person's spans side by side (a row per person:
// the text with their marks) and the text as the labelling page's marking widget (hiltSpans.
// Editor), marked as the final answer is now: ← → move, Shift selects, a label's key marks or
// relabels, ⌫ removes, Enter decides the marks shown, the none key decides [] ("nothing to
// mark"); n or s passes over the item and u goes back (the arrows move the cursor here).
"use strict";
(function () {
  const root = document.getElementById("reviewer");
  if (!root) return;

  const els = {
    position: document.getElementById("position"),
    itemId: document.getElementById("item-id"),
    save: document.getElementById("save-state"),
    reason: document.getElementById("reason"),
    item: document.getElementById("item"),
    text: document.getElementById("item-text"),
    table: document.getElementById("item-table"),
    image: document.getElementById("item-image"),
    showAll: document.getElementById("show-all"),
    verdicts: document.getElementById("verdicts"),
    finalLabel: document.getElementById("final-label"),
    finalNote: document.getElementById("final-note"),
    answers: document.getElementById("answers"),
    done: document.getElementById("done"),
    doneText: document.getElementById("done-text"),
    again: document.getElementById("again"),
    actions: document.getElementById("actions"),
    choices: Array.from(document.querySelectorAll(".choice")),
    next: document.getElementById("next"),
    back: document.getElementById("back"),
    feedback: document.getElementById("feedback"),
    submitSet: document.getElementById("submit-set"),
    noneSet: document.getElementById("none"),
    sets: document.getElementById("answer-sets"),
    spanAnswers: document.getElementById("answer-spans"),
  };
  const me = root.dataset.reviewer;
  const multilabel = root.dataset.task === "multilabel";
  const spans = root.dataset.task === "spans";
  const S = window.hiltSpans;
  const NONE_KEY = root.dataset.noneKey || "-";
  const labels = els.choices.map((b) => b.dataset.label);
  const keyToLabel = new Map();
  for (const b of els.choices) if (b.dataset.key) keyToLabel.set(b.dataset.key, b.dataset.label);
  // Spans: the marking widget on the item's text (loaded with the final answer of `editFor`).
  const editor = spans ? new S.Editor(els.text, labels) : null;
  const BATCH = 20;
  // How long the new final label stays on screen before the next item (long enough to read).
  const SHOW_DECISION_MS = 700;

  const state = {
    items: [],         // the batch from the server, minus what this page passed over or decided
    index: 0,          // position of the item on screen in `items`
    more: false,       // the batch was full: more may wait on the server
    loading: false,
    loaded: false,     // a batch came at least once
    saving: null,      // the decision being sent: {item_id, label, answer_id}
    showing: false,    // a saved decision is on screen for a moment
    presses: [],       // actions pressed while busy: {kind: "decide"|"next"|"back", label}
    passed: new Set(), // item ids passed over without a decision on this page
    decidedIds: new Set(),
    visited: [],       // items left behind (decided or passed), newest last: for "back"
    decided: 0,
    retrying: false,
    fatal: null,
    showAll: null,
    justSaved: false,
    ticked: new Set(),  // multi-label: the labels ticked on the item `tickedFor`
    tickedFor: null,
    editFor: null,      // spans: the item whose marks the editor holds
  };

  // Shared with the labelling page: net.js (requests) and page.js (an item's fields, key presses).
  const { uuid, sleep } = window.hiltNet;
  const { showFields, pressedKey } = window.hiltPage;
  const { asSet, inLabelOrder, sameSet, setText } = window.hiltPage.sets;
  // How a final label or an answer reads: the label, or for a label set its labels in words.
  const answerText = (label, item) => (multilabel ? setText(label)
    : spans ? S.spansText(S.asSpans(label), itemText(item)) : label === null ? "skipped" : label);

  function itemText(item) {
    const text = item && item.data && item.data.text;
    return text === null || text === undefined ? undefined : String(text);
  }

  function itemTokens(item) {
    return item && Array.isArray(item.tokens) ? item.tokens : [];
  }
  const reliably = (method, url, body) => window.hiltNet.reliably(method, url, body, showRetrying);

  function current() {
    return state.index < state.items.length ? state.items[state.index] : null;
  }

  function busy() {
    return state.loading || !!state.saving || state.showing;
  }

  function say(text) {
    els.feedback.textContent = text;
  }

  function failed(error) {
    if (error.status === 401) state.fatal = "Your session is not valid any more: open your reviewer link again.";
    else if (error.status === 403) state.fatal = error.message;
    else say(error.message);
  }

  // ---- rendering ----------------------------------------------------------------------------

  function ago(iso) {
    const then = Date.parse(iso);
    if (Number.isNaN(then)) return "";
    const s = Math.max(0, Math.round((Date.now() - then) / 1000));
    if (s < 60) return "just now";
    if (s < 3600) return Math.round(s / 60) + " min ago";
    if (s < 86400) return Math.round(s / 3600) + " h ago";
    return Math.round(s / 86400) + " d ago";
  }

  function when(iso) {
    return String(iso || "").replace("T", " ").slice(0, 19) + " UTC";
  }

  function renderReason(item) {
    const parts = [];
    const tag = document.createElement("strong");
    tag.className = "reason-tag " + (item.reason === "disagreement" ? "disagree" : "issue");
    tag.textContent = item.reason === "disagreement" ? "Annotators disagree" : "Likely label error";
    parts.push(tag);
    if (item.suggested) {
      const model = document.createElement("span");
      model.textContent = " · the model suggests ";
      const label = document.createElement("strong");
      label.className = "suggested";
      label.textContent = "“" + (multilabel || spans ? answerText(item.suggested, item) : item.suggested) + "”";
      parts.push(model, label);
      if (item.score !== null && item.score !== undefined) {
        const score = document.createElement("span");
        score.className = "muted";
        score.textContent = " (error score " + Number(item.score).toFixed(2) + ")";
        score.title = "How likely the current label is wrong, from 0 to 1, by a model that did not see it.";
        parts.push(score);
      }
    }
    els.reason.replaceChildren(...parts);
    els.reason.hidden = false;
  }

  function renderData(item) {
    showFields(els, item.data || {}, state.showAll === item.item_id || spans);
    if (spans) {
      loadEditor(item);
      editor.draw();
    }
  }

  // Spans: the editor starts as the final answer is now (a reviewer mends it, or confirms it).
  function loadEditor(item) {
    if (state.editFor === item.item_id) return;
    state.editFor = item.item_id;
    editor.load(itemText(item) || "", itemTokens(item), S.marksOf(itemTokens(item), S.asSpans(item.label) || [], false));
  }

  // Spans: each person's spans side by side, a row per person (the reviewer's decision last):
  // the text with their marks, or "nothing to mark" / "skipped".
  function renderSpanAnswers(item) {
    const text = itemText(item) || "";
    const tokens = itemTokens(item);
    const rows = (item.answers || []).map((answer) => {
      const row = document.createElement("tr");
      if (answer.role === "review") row.className = "review-answer";
      const who = document.createElement("th");
      who.scope = "row";
      who.className = "span-who";
      who.textContent = answer.annotator;
      who.title = when(answer.answered_at);
      if (answer.role === "review") {
        const role = document.createElement("span");
        role.className = "role";
        role.textContent = "reviewer";
        who.append(" ", role);
      }
      const cell = document.createElement("td");
      const given = S.asSpans(answer.label);
      row.dataset.annotator = answer.annotator;
      if (given && given.length && tokens.length) {
        const shown = document.createElement("p");
        shown.className = "span-answer";
        S.render(shown, text, tokens, S.marksOf(tokens, given, false), { labels: labels });
        shown.classList.add("spans-text");
        cell.append(shown);
      } else {
        cell.className = "answer-label" + (given === null ? " skipped" : "");
        cell.textContent = answerText(answer.label, item);
      }
      row.append(who, cell);
      return row;
    });
    els.spanAnswers.tBodies[0].replaceChildren(...rows);
  }

  // Multi-label: each person's set side by side, a column per person (the reviewer's decision
  // last), a row per label that anyone ticked, ✓ where they ticked it.
  function renderSets(item) {
    const answers = item.answers || [];
    const given = answers.map((answer) => asSet(answer.label));
    const used = new Set(given.flatMap((set) => set || []));
    const head = document.createElement("tr");
    const corner = document.createElement("th");
    corner.scope = "col";
    corner.textContent = "label";
    head.append(corner);
    answers.forEach((answer) => {
      const th = document.createElement("th");
      th.scope = "col";
      th.className = "set-who" + (answer.role === "review" ? " review-answer" : "");
      th.textContent = answer.annotator;
      th.title = when(answer.answered_at);
      if (answer.role === "review") {
        const role = document.createElement("span");
        role.className = "role";
        role.textContent = "reviewer";
        th.append(" ", role);
      }
      head.append(th);
    });
    const rows = labels.filter((label) => used.has(label)).map((label) => {
      const row = document.createElement("tr");
      row.dataset.label = label;
      const th = document.createElement("th");
      th.scope = "row";
      th.textContent = label;
      row.append(th);
      given.forEach((set) => {
        const td = document.createElement("td");
        const on = !!set && set.includes(label);
        td.className = "set-cell" + (on ? " on" : "") + (set === null ? " skipped" : "");
        td.textContent = on ? "✓" : set === null ? "skip" : "·";
        row.append(td);
      });
      return row;
    });
    // A person who ticked nothing said so: "none of these" (or skipped).
    if (given.some((set) => set === null || set.length === 0)) {
      const row = document.createElement("tr");
      row.className = "set-none";
      const th = document.createElement("th");
      th.scope = "row";
      th.textContent = "none of these";
      row.append(th);
      given.forEach((set) => {
        const td = document.createElement("td");
        td.className = "set-cell" + (set && set.length === 0 ? " on" : "") + (set === null ? " skipped" : "");
        td.textContent = set === null ? "skipped" : set.length === 0 ? "✓" : "·";
        row.append(td);
      });
      rows.push(row);
    }
    els.sets.tHead.replaceChildren(head);
    els.sets.tBodies[0].replaceChildren(...rows);
  }

  function renderAnswers(item) {
    if (multilabel) {
      renderSets(item);
      return;
    }
    if (spans) {
      renderSpanAnswers(item);
      return;
    }
    const rows = (item.answers || []).map((answer) => {
      const row = document.createElement("tr");
      if (answer.role === "review") row.className = "review-answer";
      const who = document.createElement("th");
      who.scope = "row";
      who.textContent = answer.annotator;
      if (answer.role === "review") {
        const role = document.createElement("span");
        role.className = "role";
        role.textContent = "reviewer";
        who.append(" ", role);
      }
      const label = document.createElement("td");
      label.className = "answer-label" + (answer.label === null ? " skipped" : "");
      label.textContent = answer.label === null ? "skipped" : answer.label;
      const at = document.createElement("td");
      at.className = "muted answer-when";
      at.textContent = ago(answer.answered_at);
      at.title = when(answer.answered_at);
      row.append(who, label, at);
      return row;
    });
    els.answers.tBodies[0].replaceChildren(...rows);
  }

  // A request is retried (the connection is lost) or has its answer: the save state says so.
  function showRetrying(on) {
    state.retrying = on;
    renderSaveState();
  }

  function renderSaveState() {
    let text = "";
    let cls = "";
    if (state.fatal) {
      text = state.fatal;
      cls = "error";
    } else if (state.retrying) {
      text = "connection lost: retrying…";
      cls = "error";
    } else if (state.saving) {
      text = "saving…";
      cls = "saving";
    } else if (state.presses.length) {
      const n = state.presses.length;
      text = n + " key press" + (n === 1 ? "" : "es") + " waiting…";
      cls = "saving busy";
    } else if (state.justSaved) {
      text = "saved ✓";
      cls = "saved";
    }
    els.save.textContent = text;
    els.save.className = "save-state " + cls;
  }

  function renderPosition() {
    const left = Math.max(0, state.items.length - state.index);
    const decided = state.decided ? " · " + state.decided + " decided on this page" : "";
    if (!state.loaded) els.position.textContent = "Loading the items to review…";
    else if (!left) els.position.textContent = (state.loading ? "Looking for more…" : "Nothing waiting") + decided;
    else els.position.textContent = left + (state.more ? "+" : "") + " to review" + decided;
  }

  function render() {
    const item = current();
    const nothing = !item && state.loaded && !state.loading && !state.saving && !state.showing;
    els.done.hidden = !nothing;
    els.actions.hidden = nothing;
    els.item.hidden = nothing;
    els.item.classList.toggle("waiting", !item);
    if (nothing) {
      const n = state.passed.size;
      els.again.hidden = n === 0;
      els.doneText.textContent = n
        ? "Nothing new to review. You passed over " + n + " item" + (n === 1 ? "" : "s") + " without a decision."
        : "No disagreements and no likely label errors wait for a reviewer. New ones come as people label: come back later.";
    }
    if (item) {
      els.item.dataset.itemId = item.item_id;
      els.itemId.textContent = "item " + item.item_id;
      renderReason(item);
      renderData(item);
      renderAnswers(item);
      els.verdicts.hidden = false;
      els.finalLabel.textContent = multilabel || spans ? answerText(item.label, item) : item.label === null ? "none" : item.label;
      els.finalLabel.classList.toggle("just-saved", state.showing);
      els.verdicts.classList.toggle("just-saved", state.showing);
    } else {
      els.item.removeAttribute("data-item-id");
      els.itemId.textContent = "";
      els.reason.hidden = true;
      els.verdicts.hidden = true;
      els.text.hidden = false;
      els.table.hidden = true;
      els.showAll.hidden = true;
      els.text.textContent = nothing ? "" : "Loading…";
    }
    const final = multilabel && item ? asSet(item.label) || [] : null;
    for (const b of els.choices) {
      b.disabled = !item || !!state.fatal;
      b.classList.toggle("is-final", !!item && !spans && (multilabel ? final.includes(b.dataset.label) : b.dataset.label === item.label));
    }
    if (multilabel) renderTicks(item);
    if (spans) {
      els.submitSet.disabled = !item || !!state.fatal;
      els.noneSet.disabled = !item || !!state.fatal;
    }
    els.next.disabled = !item || !!state.fatal;
    els.back.disabled = !state.visited.length || !!state.fatal;
    renderSaveState();
    renderPosition();
  }

  // Multi-label: the toggles start as the final answer is now (Enter confirms it; a reviewer
  // is there to check the people's answers, not to answer afresh).
  function renderTicks(item) {
    if (item && state.tickedFor !== item.item_id) {
      state.tickedFor = item.item_id;
      state.ticked = new Set(asSet(item.label) || []);
    }
    for (const b of els.choices) {
      const on = !!item && state.ticked.has(b.dataset.label);
      b.setAttribute("aria-pressed", on ? "true" : "false");
      b.classList.toggle("on", on);
    }
    const disabled = !item || !!state.fatal;
    els.submitSet.disabled = disabled;
    els.noneSet.disabled = disabled;
  }

  function toggle(label) {
    const item = current();
    if (!item) return;
    renderTicks(item);
    if (state.ticked.has(label)) state.ticked.delete(label);
    else state.ticked.add(label);
    renderTicks(item);
  }

  // ---- loading --------------------------------------------------------------------------------

  async function load() {
    if (state.loading || state.fatal) return;
    state.loading = true;
    render();
    try {
      // Passed-over items still wait on the server: ask for enough to see past them.
      const limit = Math.min(200, BATCH + state.passed.size);
      const response = await reliably("GET", "/api/review?limit=" + limit);
      const data = await response.json();
      const fresh = (data.items || []).filter(
        (row) => !state.passed.has(row.item_id) && !state.decidedIds.has(row.item_id));
      state.items = fresh;
      state.index = 0;
      state.more = (data.items || []).length >= limit;
      state.loaded = true;
    } catch (error) {
      failed(error);
    } finally {
      state.loading = false;
      render();
      drain();
    }
  }

  // ---- actions --------------------------------------------------------------------------------

  function act(action) {
    if (state.fatal) return;
    if (busy() || (!current() && !state.loaded)) {
      state.presses.push(action);  // acts on the item that shows next, in order
      renderSaveState();
      return;
    }
    if (action.kind === "decide") decide(action.label);
    else if (action.kind === "toggle") toggle(action.label);
    else if (action.kind === "ticked") decideTicked();
    else if (action.kind === "spankey") spanKey(action.key, action.shift, action.label);
    else if (action.kind === "next") next();
    else back();
  }

  function drain() {
    while (state.presses.length && !busy() && !state.fatal) {
      const action = state.presses.shift();
      if (!current() && action.kind !== "back") {
        const n = state.presses.length + 1;
        state.presses = [];
        say(n + " key press" + (n === 1 ? " was" : "es were") + " not used: nothing is left to review.");
        break;
      }
      act(action);
    }
    renderSaveState();
  }

  function advance() {
    state.index += 1;
    state.showAll = null;
    if (state.index >= state.items.length) {
      load();
    } else {
      render();
      drain();
    }
  }

  // Multi-label: decide the ticked set; nothing ticked decides nothing ("none of these" is its
  // own key, so a stray Enter never records that no label applies).
  function decideTicked() {
    const item = current();
    if (!item) {
      say("Nothing to review: that key press was not used.");
      return;
    }
    renderTicks(item);
    const chosen = inLabelOrder(state.ticked, labels);
    if (!chosen.length) {
      say("Nothing is ticked: press a label's key to tick it, or " + NONE_KEY + " to decide none of these.");
      return;
    }
    decide(chosen);
  }

  async function decide(label) {
    const item = current();
    if (!item) {
      say("Nothing to review: that key press was not used.");
      return;
    }
    const seconds = window.hiltTiming ? window.hiltTiming.seconds(item.item_id) : null;  // focus time (timing.js)
    state.saving = { item_id: item.item_id, label: label, answer_id: uuid(), seconds: seconds };
    state.justSaved = false;
    say("");
    render();
    try {
      const response = await reliably("POST", "/api/review", state.saving);
      const data = await response.json();
      if (!state.decidedIds.has(item.item_id)) state.decided += 1;
      state.decidedIds.add(item.item_id);
      state.passed.delete(item.item_id);
      const before = item.label;
      item.label = data.label;
      item.answers = (item.answers || []).filter((a) => !(a.role === "review" && a.annotator === me));
      item.answers.push({ annotator: me, label: label, role: "review", answered_at: new Date().toISOString() });
      state.saving = null;
      state.justSaved = true;
      state.showing = true;
      const same = multilabel ? sameSet(asSet(before), asSet(data.label))
        : spans ? S.sameSpans(S.asSpans(before), S.asSpans(data.label)) : before === data.label;
      els.finalNote.textContent = same ? "(unchanged, now settled by you)" : "(was “" + answerText(before, item) + "”)";
      say("Saved: item " + item.item_id + " is now “" + answerText(data.label, item) + "”.");
      if (spans) state.editFor = null;  // back to it later: the marks start as the new final answer
      render();
      await sleep(SHOW_DECISION_MS);
      state.showing = false;
      els.finalNote.textContent = "";
      state.visited.push(item);
      if (state.visited.length > 100) state.visited.shift();
      advance();
    } catch (error) {
      state.saving = null;
      failed(error);
      render();
      drain();
    }
  }

  function next() {
    const item = current();
    if (!item) return;
    if (!state.decidedIds.has(item.item_id)) state.passed.add(item.item_id);
    state.visited.push(item);
    if (state.visited.length > 100) state.visited.shift();
    state.justSaved = false;
    say("Passed over item " + item.item_id + ": it comes back once the rest is reviewed.");
    advance();
  }

  function back() {
    const item = state.visited.pop();
    if (!item) {
      say("Nothing to go back to.");
      return;
    }
    state.passed.delete(item.item_id);
    // Put it back in front of the item on screen (a batch reload may have dropped it).
    const at = state.items.findIndex((row, i) => i >= state.index && row.item_id === item.item_id);
    if (at >= 0) state.items.splice(at, 1);
    state.items.splice(state.index, 0, item);
    state.showAll = null;
    state.justSaved = false;
    say(state.decidedIds.has(item.item_id)
      ? "Back to item " + item.item_id + ": a label key decides again (your new decision replaces the old one)."
      : "Back to item " + item.item_id + ".");
    render();
  }

  // Spans: one key on the item shown (a label key marks, Enter decides the marks, ...).
  function spanKey(key, shift, chosen) {
    const item = current();
    if (!item) {
      say("Nothing to review: that key press was not used.");
      return;
    }
    if (!Array.isArray(item.tokens)) {
      // Without the server's tokens the marks cannot be shown, and Enter would decide [].
      say("The server sent no tokens for item " + item.item_id + ": its spans cannot be marked on this page.");
      return;
    }
    loadEditor(item);
    if (editor.move(key, shift)) return;
    if (chosen || keyToLabel.has(key)) {
      if (!editor.mark(chosen || keyToLabel.get(key))) say("This text has no words to mark: " + NONE_KEY + " decides there is nothing to mark.");
    } else if (key === "Backspace") {
      if (!editor.remove()) say("No span under the cursor: move onto one with ← → to remove it.");
    } else if (key === "Enter") {
      decide(editor.answer());
    } else if (key === NONE_KEY) {
      decide([]);
    }
  }

  els.choices.forEach((button) => {
    button.addEventListener("click", () => act(multilabel ? { kind: "toggle", label: button.dataset.label }
      : spans ? { kind: "spankey", key: "", label: button.dataset.label }
      : { kind: "decide", label: button.dataset.label }));
  });
  if (spans) {
    els.submitSet.addEventListener("click", () => act({ kind: "spankey", key: "Enter" }));
    els.noneSet.addEventListener("click", () => act({ kind: "spankey", key: NONE_KEY }));
    editor.listen(() => !busy() && !!current() && state.editFor === current().item_id);
  }
  if (multilabel) {
    els.submitSet.addEventListener("click", () => act({ kind: "ticked" }));
    els.noneSet.addEventListener("click", () => act({ kind: "decide", label: [] }));
  }
  els.next.addEventListener("click", () => act({ kind: "next" }));
  els.back.addEventListener("click", () => act({ kind: "back" }));
  els.showAll.addEventListener("click", () => toggleWhole());
  els.again.addEventListener("click", () => {
    state.passed.clear();
    load();
  });

  function toggleWhole() {
    const item = current();
    if (!item) return;
    state.showAll = state.showAll === item.item_id ? null : item.item_id;
    renderData(item);
  }

  // Spans: the keys the marking widget takes (the cursor keys repeat while held down).
  const SPAN_KEYS = new Set(["ArrowLeft", "ArrowRight", "Home", "End", "Escape", "Backspace", "Enter"]);

  document.addEventListener("keydown", (event) => {
    if (spans && !event.ctrlKey && !event.metaKey && !event.altKey) {
      const target = event.target;
      const typing = target && (target.tagName === "INPUT" || target.tagName === "TEXTAREA" || target.isContentEditable);
      const key = event.key.length === 1 ? event.key.toLowerCase() : event.key;
      const moves = key === "ArrowLeft" || key === "ArrowRight";
      if (!typing && (moves || !event.repeat) && (SPAN_KEYS.has(key) || keyToLabel.has(key) || key === NONE_KEY)) {
        event.preventDefault();
        act({ kind: "spankey", key: key, shift: event.shiftKey });
        return;
      }
    }
    const key = pressedKey(event);
    if (key === null) return;
    // Label keys first: with 24 labels or more, "n" is a label's key (see hilt.project.keys).
    if (keyToLabel.has(key)) {
      event.preventDefault();
      act(multilabel ? { kind: "toggle", label: keyToLabel.get(key) } : { kind: "decide", label: keyToLabel.get(key) });
    } else if (multilabel && key === "Enter") {
      event.preventDefault();  // also keeps a focused button from being clicked by the Enter
      act({ kind: "ticked" });
    } else if (multilabel && key === NONE_KEY) {
      event.preventDefault();
      act({ kind: "decide", label: [] });
    } else if (key === "ArrowRight" || key === "s" || key === "n") {
      event.preventDefault();
      act({ kind: "next" });
    } else if (key === "ArrowLeft" || key === "u" || key === "Backspace") {
      event.preventDefault();
      act({ kind: "back" });
    } else if (key === "v") {
      event.preventDefault();
      toggleWhole();
    }
  });

  window.addEventListener("beforeunload", (event) => {
    if (state.saving || state.presses.length) {
      event.preventDefault();
      event.returnValue = "";
    }
  });

  // For tests and the curious: decisions not yet acknowledged by the server.
  window.hilt = { pending: () => (state.saving ? 1 : 0) + state.presses.length, state: state };

  render();
  load();
})();
