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
//
// Key presses are never dropped: a label key pressed while no item is on screen (the preview ran
// out and the server has not replied yet) waits in `presses` and labels the next item the moment
// it shows; the page says how many presses wait. Undo first takes back a press still waiting.
//
// A multi-label project (data-task="multilabel") has toggles: a label's key ticks or unticks it
// on the item shown, Enter sends the ticked set (in the project's label order), the none key
// sends [] ("none of these", an answer), s skips (null). The ticks start empty on every item:
// the model's guess never feeds the answer (it shows after the answer, as for one label).
//
// A spans project (data-task="spans") shows the text as the server's tokens with a cursor:
// ← → move it, Shift+← → select, a label's key marks the selection (or relabels the mark under
// the cursor, or marks the token under it), Backspace removes the mark under the cursor, the
// none key answers [] ("nothing to mark"), Enter saves the marks shown, / skips. When the item
// says `suggest`, the model's guessed spans are on it as suggestions (dashed, "PER?"): Enter
// accepts them; s hides or shows them (hidden, they are not part of the answer).
//
// An item with another model's suggestion (`suggestion`, suggest.js) shows it before the answer:
// Enter answers with it (one label), a suggested set starts ticked, suggested spans start on the
// text as the model's do.
"use strict";
(function () {
  const root = document.getElementById("labeller");
  if (!root) return;

  const els = {
    text: document.getElementById("item-text"),
    table: document.getElementById("item-table"),
    image: document.getElementById("item-image"),
    item: document.getElementById("item"),
    done: document.getElementById("done"),
    position: document.getElementById("position"),
    save: document.getElementById("save-state"),
    feedback: document.getElementById("feedback"),
    choices: Array.from(document.querySelectorAll(".choice")),
    skip: document.getElementById("skip"),
    undo: document.getElementById("undo"),
    itemId: document.getElementById("item-id"),
    showAll: document.getElementById("show-all"),
    historyList: document.getElementById("history-list"),
    submitSet: document.getElementById("submit-set"),
    suggestToggle: document.getElementById("suggest-toggle"),
    noneSet: document.getElementById("none"),
    suggestion: document.getElementById("suggestion"),
  };
  // Another model's suggestion, shown before the answer (suggest.js); Enter accepts it.
  const SG = window.hiltSuggest;
  const multilabel = root.dataset.task === "multilabel";
  const spans = root.dataset.task === "spans";
  const S = window.hiltSpans;
  const editor = spans ? new S.Editor(els.text, els.choices.map((b) => b.dataset.label)) : null;
  if (editor) editor.onDraw = () => renderSpanButtons();
  const NONE_KEY = root.dataset.noneKey || "-";
  const labels = els.choices.map((b) => b.dataset.label);
  // Each label's key is on its button (a single-digit label is its own key, the others take
  // 1-9, 0, then letters; the server picks them: hilt.project.keys).
  const keyToLabel = new Map();
  for (const b of els.choices) if (b.dataset.key) keyToLabel.set(b.dataset.key, b.dataset.label);
  // Evaluation items come with a guess like ranked ones (the server writes one for the next
  // of them each run); an item served from outside the ranking has none.
  const NO_GUESS = "The model had no guess for this item.";
  const NO_MODEL = "No model yet: it trains after the first few labels.";

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
    presses: [],     // label keys pressed while no item was on screen, oldest first
    showAll: null,   // id of the item whose shortened fields are shown whole
    rendered: null,  // [item, showAll] last laid out, so a save-state change does not redo it
    hasModel: false, // a model run has finished (known from a guess or from /api/status)
    statusAsked: 0,  // when /api/status was last asked whether a model exists
    statusReply: null,
    feedbackSeq: 0,  // bumps on every feedback change, so a late async message never overwrites
    recentAnswers: [],
    historyLoading: false,
    historyDirty: false,
    changing: null,  // item id whose history entry shows its label chooser
    // Multi-label: the labels ticked on the item `tickedFor` (another item on screen starts
    // empty), what this page answered per item (an undo brings its ticks back), and the ticks of
    // the history entry being changed.
    ticked: new Set(),
    tickedFor: null,
    given: new Map(),
    changingSet: new Set(),
    // Spans: the item whose marks the editor holds (whether suggestions are hidden is the
    // editor's, kept from item to item).
    sp: { itemId: null },
  };

  // Shared with the review page: net.js (requests) and page.js (an item's fields, key presses).
  const { uuid } = window.hiltNet;
  const { showFields, pressedKey } = window.hiltPage;
  const { asSet, inLabelOrder, sameSet, setText } = window.hiltPage.sets;
  const reliably = (method, url, body) => window.hiltNet.reliably(method, url, body, showRetrying);

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
    if (item && item.guess) state.hasModel = true;
    drainPresses();
  }

  // Key presses that waited for an item label the items now shown, in order. Each answer puts
  // the preview on screen, so a burst of presses drains as far as previews reach.
  function drainPresses() {
    while (state.presses.length && current() && !state.fatal) {
      const press = state.presses.shift();
      if (press && press.kind === "toggle") toggle(press.label);
      else if (press && press.kind === "spankey") spanKey(press.key, press.shift);
      else if (press && press.kind === "submit") submitSet();
      else if (press && press.kind === "accept") acceptSuggestion();
      else answer(press);
    }
    if (!current() && state.exhausted && state.presses.length && !state.ops.length) {
      const n = state.presses.length;
      state.presses = [];
      say(n + " key press" + (n === 1 ? " was" : "es were") + " not used: nothing is left to label.");
    }
  }

  function say(text) {
    state.feedbackSeq += 1;
    els.feedback.replaceChildren();
    els.feedback.textContent = text;
    return state.feedbackSeq;
  }

  // ---- rendering ----------------------------------------------------------------------------

  function renderItem() {
    const item = current();
    const showDone = !item && state.exhausted && !state.ops.length && !state.loading;
    els.done.hidden = !showDone;
    els.item.hidden = showDone;
    els.item.classList.toggle("waiting", !item);
    if (!item) {
      state.rendered = null;
      els.table.tBodies[0].replaceChildren();
      els.text.hidden = false;
      els.table.hidden = true;
      els.image.hidden = true;
      els.showAll.hidden = true;
      els.text.textContent = showDone ? "" : "Loading the next item…";
      els.itemId.textContent = "";
      els.item.removeAttribute("data-item-id");
      els.item.removeAttribute("data-confirmed");
      SG.show(els.suggestion, null, root.dataset.task);
      return;
    }
    SG.show(els.suggestion, item, root.dataset.task);
    els.item.dataset.itemId = item.id;
    els.item.dataset.confirmed = state.confirmed ? "1" : "0";
    els.itemId.textContent = "item " + item.id;
    const whole = state.showAll === item.id;
    if (state.rendered && state.rendered[0] === item && state.rendered[1] === whole) return;
    state.rendered = [item, whole];
    // Text items: the text large, any other columns in a small key/value table below it.
    // Table items: the key/value table alone (in columns when there are many fields).
    showFields(els, item.data || {}, whole || spans);  // spans: the whole text, its tokens all markable
    if (spans) renderSpans();
  }

  // ---- spans ----------------------------------------------------------------------------------

  function itemTokens(item) {
    return Array.isArray(item.tokens) ? item.tokens : [];
  }

  function itemText(item) {
    const text = item.data && item.data.text;
    return text === null || text === undefined ? "" : String(text);
  }

  // The marks of the item on screen (hiltSpans.Editor on the text): set up the first time it
  // shows (with the suggestions, when it has them), kept while it stays.
  function spanState() {
    const item = current();
    const sp = state.sp;
    if (item && sp.itemId !== item.id) {
      sp.itemId = item.id;
      // An imported suggestion when the item has one, else the model's spans when it says so.
      const pre = Array.isArray(SG.of(item)) ? SG.of(item) : item.suggest && Array.isArray(item.guess) ? item.guess : null;
      editor.load(itemText(item), itemTokens(item), pre ? S.marksOf(itemTokens(item), pre, true) : []);
    }
    return editor;
  }

  function renderSpans() {
    if (!current()) return;
    spanState().draw();
  }

  // What the buttons say: how many spans Enter saves, how many suggestions s brings back.
  function renderSpanButtons() {
    const suggested = editor.suggestions();
    if (els.suggestToggle) {
      els.suggestToggle.hidden = !suggested;
      els.suggestToggle.lastChild.textContent = editor.hideSuggested
        ? "show " + suggested + " suggestion" + (suggested === 1 ? "" : "s") : "hide the suggestions";
    }
    const n = editor.visible().length;
    if (els.submitSet) els.submitSet.lastChild.textContent = n ? "save " + n + " span" + (n === 1 ? "" : "s") : "save: nothing marked";
  }

  function markWith(label) {
    if (!spanState().mark(label)) say("This text has no words to mark: " + NONE_KEY + " says there is nothing to mark.");
  }

  function removeMark() {
    if (!spanState().remove()) say("No span under the cursor: move onto one with ← → to remove it.");
  }

  function submitSpans() {
    if (!current()) return;
    answer(spanState().answer());
  }

  function nothingToMark() {
    if (!current()) return;
    const own = spanState().own();
    if (own.length) {
      say("You marked " + own.length + " span" + (own.length === 1 ? "" : "s") +
          ": ⌫ removes the one under the cursor, Enter saves them.");
      return;
    }
    answer([]);
  }

  function toggleSuggestions() {
    editor.hideSuggested = !editor.hideSuggested;
    say(editor.hideSuggested ? "Suggestions hidden (s shows them)." : "Suggestions shown (s hides them).");
    renderSpans();
  }

  // One key on a spans item.
  function spanKey(key, shift) {
    if (state.fatal) return;
    const item = current();
    if (!item) {
      keepForNextItem({ kind: "spankey", key: key, shift: shift });
      return;
    }
    if (spanState().move(key, shift)) return;
    if (keyToLabel.has(key)) markWith(keyToLabel.get(key));
    else if (key === "Backspace") removeMark();
    else if (key === "Enter") submitSpans();
    else if (key === NONE_KEY) nothingToMark();
    else if (key === "s") toggleSuggestions();
    else if (key === SKIP_KEY) answer(null);
  }

  const SPAN_KEYS = new Set(["ArrowLeft", "ArrowRight", "Home", "End", "Escape", "Backspace", "Enter", "s"]);
  // Skip on a spans page: s shows and hides the suggestions there, and / is never a label's key.
  const SKIP_KEY = "/";

  // A request is retried (the connection is lost) or has its answer: the save state says so.
  function showRetrying(on) {
    state.retrying = on;
    renderSaveState();
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
    } else if (state.presses.length) {
      const n = state.presses.length;
      text = n + " key press" + (n === 1 ? "" : "es") + " waiting for the next item…";
      cls = "saving busy";
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
      : multilabel ? "Tick every label that applies, then Enter"
      : spans ? "Mark the spans (← → move, Shift selects, a label's key marks), then Enter" : "Press a label's key to label";
  }

  function render() {
    renderItem();
    renderSaveState();
    const disabled = !current() || !!state.fatal;
    for (const b of els.choices) b.disabled = disabled;
    els.skip.disabled = disabled;
    els.undo.disabled = !!state.fatal;
    if (multilabel) renderTicks(disabled);
    if (spans) {
      els.submitSet.disabled = disabled;
      els.noneSet.disabled = disabled;
      if (els.suggestToggle) els.suggestToggle.disabled = disabled;
    }
  }

  // The toggles show the ticks of the item on screen; an item seen for the first time starts
  // with none ticked.
  function renderTicks(disabled) {
    const item = current();
    if (item && state.tickedFor !== item.id) {
      state.tickedFor = item.id;
      state.ticked = new Set(SG.of(item) || []);  // a suggested set starts ticked
    }
    for (const b of els.choices) {
      const on = !!item && state.ticked.has(b.dataset.label);
      b.setAttribute("aria-pressed", on ? "true" : "false");
      b.classList.toggle("on", on);
    }
    els.submitSet.disabled = disabled;
    els.noneSet.disabled = disabled;
    const n = item ? state.ticked.size : 0;
    els.submitSet.lastChild.textContent = n
      ? "save " + n + " ticked label" + (n === 1 ? "" : "s")
      : "save the ticked labels";
  }

  // Does a model exist? A guess on any item says so; otherwise ask /api/status, at most every
  // few seconds (once a model exists, an item comes without a guess in a project that shows
  // none, or when it was served from outside the ranking, and the page must not say "no model
  // yet" then).
  function knowModel() {
    if (state.hasModel) return Promise.resolve(true);
    const now = Date.now();
    if (state.statusReply && now - state.statusAsked < 3000) return state.statusReply;
    state.statusAsked = now;
    state.statusReply = fetch("/api/status", { credentials: "same-origin", cache: "no-store" })
      .then((response) => (response.ok ? response.json() : null))
      .then((status) => {
        if (status && status.runs && status.runs.length) state.hasModel = true;
        return status ? state.hasModel : null;
      })
      .catch(() => null);
    return state.statusReply;
  }

  function showFeedback(item, label) {
    if (label === null) {
      say("Skipped.");
      return;
    }
    if (multilabel) {
      showSetFeedback(item, label);
      return;
    }
    if (spans) {
      showSpansFeedback(item, label);
      return;
    }
    const said = "You said “" + label + "”. ";
    if (!item.guess) {
      const seq = say(said + (state.hasModel ? NO_GUESS : ""));
      if (!state.hasModel) {
        knowModel().then((has) => {
          if (seq !== state.feedbackSeq) return;  // a newer message is on screen
          els.feedback.textContent = said + (has === true ? NO_GUESS : has === false ? NO_MODEL : "");
        });
      }
      return;
    }
    state.hasModel = true;
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
    say("");
    els.feedback.append("You said “" + label + "”; the model ", verdict, tail);
  }

  // The multi-label answer and, once the model exists, its guessed set beside it.
  function showSetFeedback(item, chosen) {
    const said = "You said “" + setText(chosen) + "”";
    const guess = asSet(item.guess);
    if (guess === null) {
      const seq = say(said + ". " + (state.hasModel ? NO_GUESS : ""));
      if (!state.hasModel) {
        knowModel().then((has) => {
          if (seq !== state.feedbackSeq) return;  // a newer message is on screen
          els.feedback.textContent = said + ". " + (has === true ? NO_GUESS : has === false ? NO_MODEL : "");
        });
      }
      return;
    }
    state.hasModel = true;
    const agree = sameSet(guess, chosen);
    state.recent.push(agree);
    if (state.recent.length > 20) state.recent.shift();
    const hits = state.recent.filter(Boolean).length;
    const verdict = document.createElement("strong");
    verdict.className = agree ? "agree" : "disagree";
    verdict.textContent = agree ? "agreed" : "guessed “" + setText(guess) + "”";
    const tail = document.createElement("span");
    tail.className = "muted";
    tail.textContent = " · it matched your whole set on " + hits + " of your last " + state.recent.length + " answers";
    say("");
    els.feedback.append(said + "; the model ", verdict, tail);
  }

  // The spans answer in words and, once the model exists, whether its guess was the same.
  function showSpansFeedback(item, chosen) {
    const said = "You said " + S.spansText(chosen, itemText(item));
    if (!Array.isArray(item.guess)) {
      const seq = say(said + ". " + (state.hasModel ? NO_GUESS : ""));
      if (!state.hasModel) {
        knowModel().then((has) => {
          if (seq !== state.feedbackSeq) return;
          els.feedback.textContent = said + ". " + (has === true ? NO_GUESS : has === false ? NO_MODEL : "");
        });
      }
      return;
    }
    state.hasModel = true;
    const agree = S.sameSpans(item.guess, chosen);
    state.recent.push(agree);
    if (state.recent.length > 20) state.recent.shift();
    const hits = state.recent.filter(Boolean).length;
    const verdict = document.createElement("strong");
    verdict.className = agree ? "agree" : "disagree";
    verdict.textContent = agree ? "agreed" : "guessed " + S.spansText(item.guess, itemText(item));
    const tail = document.createElement("span");
    tail.className = "muted";
    tail.textContent = " · it matched all your spans on " + hits + " of your last " + state.recent.length + " answers";
    say("");
    els.feedback.append(said + "; the model ", verdict, tail);
  }

  // ---- the history list: this annotator's recent answers, any of them changeable ----------

  async function refreshHistory() {
    if (state.historyLoading) {
      state.historyDirty = true;
      return;
    }
    state.historyLoading = true;
    try {
      do {
        state.historyDirty = false;
        const response = await fetch("/api/history?limit=20", { credentials: "same-origin", cache: "no-store" });
        if (response.ok) state.recentAnswers = (await response.json()).answers || [];
      } while (state.historyDirty);
    } catch (ignored) {
      // Offline for a moment: the next saved answer refreshes the list.
    } finally {
      state.historyLoading = false;
    }
    renderHistory();
  }

  function labelText(label, itemId) {
    if (multilabel) return setText(label);
    if (spans) {
      const item = state.history.find((seen) => seen.id === itemId);
      return S.spansText(label, item ? itemText(item) : undefined);
    }
    return label === null ? "skipped" : label;
  }

  function renderHistory() {
    const entries = [];
    for (const answer of state.recentAnswers) {
      const li = document.createElement("li");
      li.className = "history-entry";
      li.dataset.itemId = answer.item_id;
      const open = document.createElement("button");
      open.type = "button";
      open.className = "history-open";
      open.setAttribute("aria-expanded", state.changing === answer.item_id ? "true" : "false");
      const id = document.createElement("span");
      id.className = "history-id";
      id.textContent = answer.item_id;
      const chosen = document.createElement("span");
      chosen.className = "history-label" + (answer.label === null ? " skipped" : "");
      chosen.textContent = labelText(answer.label, answer.item_id);
      const text = document.createElement("span");
      text.className = "history-snippet";
      text.textContent = answer.snippet;
      open.append(id, chosen, text);
      open.addEventListener("click", () => {
        state.changing = state.changing === answer.item_id ? null : answer.item_id;
        state.changingSet = new Set(asSet(answer.label) || []);
        renderHistory();
      });
      li.append(open);
      if (state.changing === answer.item_id && multilabel) {
        li.append(setChooser(answer));
      } else if (state.changing === answer.item_id && spans) {
        li.append(spansChooser(answer));
      } else if (state.changing === answer.item_id) {
        const chooser = document.createElement("div");
        chooser.className = "history-choices";
        for (const label of [...labels, null]) {
          const b = document.createElement("button");
          b.type = "button";
          b.className = "history-choice" + (label === answer.label ? " current" : "");
          b.dataset.label = label === null ? "" : label;
          b.textContent = label === null ? "skip" : label;
          b.disabled = label === answer.label;
          b.addEventListener("click", () => changeAnswer(answer.item_id, label));
          chooser.append(b);
        }
        li.append(chooser);
      }
      entries.push(li);
    }
    els.historyList.replaceChildren(...entries);
  }

  // A history entry's chooser for a label set: toggles started from the answer given, then
  // "save" (the ticked set), "none of these" ([]) or "skip" (null).
  function setChooser(answer) {
    const chooser = document.createElement("div");
    chooser.className = "history-choices";
    const given = asSet(answer.label);
    for (const label of labels) {
      const b = document.createElement("button");
      b.type = "button";
      b.className = "history-choice history-toggle";
      b.dataset.label = label;
      b.textContent = label;
      b.setAttribute("aria-pressed", state.changingSet.has(label) ? "true" : "false");
      b.addEventListener("click", () => {
        if (state.changingSet.has(label)) state.changingSet.delete(label);
        else state.changingSet.add(label);
        renderHistory();
      });
      chooser.append(b);
    }
    const chosen = inLabelOrder(state.changingSet, labels);
    const actions = [
      ["history-save", "save", chosen, chosen.length === 0 || (given !== null && sameSet(given, chosen))],
      ["history-none", "none of these", [], given !== null && given.length === 0],
      ["history-skip", "skip", null, given === null],
    ];
    for (const [cls, text, value, same] of actions) {
      const b = document.createElement("button");
      b.type = "button";
      b.className = "history-choice " + cls;
      b.textContent = text;
      b.disabled = same;
      b.addEventListener("click", () => changeAnswer(answer.item_id, value));
      chooser.append(b);
    }
    return chooser;
  }

  // A spans history entry: its spans with their words (when the page saw the item), then
  // "nothing to mark" ([]) or "skip" (null); marks are mended on the item itself (u brings the
  // latest back with its marks).
  function spansChooser(answer) {
    const chooser = document.createElement("div");
    chooser.className = "history-choices";
    const item = state.history.find((seen) => seen.id === answer.item_id);
    if (item && Array.isArray(answer.label) && answer.label.length) {
      const shown = document.createElement("p");
      shown.className = "history-spans spans-text";
      S.render(shown, itemText(item), itemTokens(item), S.marksOf(itemTokens(item), answer.label, false), { labels: labels });
      chooser.append(shown);
    }
    const given = answer.label;
    const actions = [
      ["history-none", "nothing to mark", [], Array.isArray(given) && given.length === 0],
      ["history-skip", "skip", null, given === null],
    ];
    for (const [cls, text, value, same] of actions) {
      const b = document.createElement("button");
      b.type = "button";
      b.className = "history-choice " + cls;
      b.textContent = text;
      b.disabled = same;
      b.addEventListener("click", () => changeAnswer(answer.item_id, value));
      chooser.append(b);
    }
    return chooser;
  }

  // A new answer for an item answered earlier; the server keeps the old one (retracted).
  async function changeAnswer(itemId, label) {
    state.changing = null;
    const body = { item_id: itemId, label: label, answer_id: uuid() };
    try {
      await reliably("POST", "/api/history", body);
      say("Changed item " + itemId + " to “" + labelText(label, itemId) + "”.");
    } catch (error) {
      if (error.status === 401) state.fatal = "Your session is not valid any more: open your annotator link again.";
      else say(error.message);
      render();
    }
    refreshHistory();
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
              say("Nothing left to undo.");
              if (!state.ops.length) {
                // What the page showed as undone was not: ask the server what this annotator holds.
                state.shown = null;
                state.confirmed = false;
                state.exhausted = false;
              }
            } else {
              const data = await response.json();
              state.saved = Math.max(0, state.saved - 1);
              say("Undone: label this item again.");
              if (!state.ops.length) settle(data.item, data.ahead);
            }
          }
        } catch (error) {
          state.ops.shift();
          if (error.status === 401) {
            state.fatal = "Your session is not valid any more: open your annotator link again.";
          } else {
            say(error.message);
          }
        }
        render();
      }
    } finally {
      state.pumping = false;
    }
    if (!state.ops.length && !state.fatal) refreshHistory();
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
      else say(error.message);
    } finally {
      state.loading = false;
      drainPresses();
      render();
    }
  }

  // ---- actions --------------------------------------------------------------------------------

  function answer(label) {
    // Task seam: one button or key = one label (the single-label widget); a task layer gives the
    // page its own widget for a label set or spans, and the answer body it sends.
    const item = current();
    if (state.fatal) return;
    if (!item) {
      keepForNextItem(label);  // labels the next item the moment it shows
      return;
    }
    state.history.push(item);
    if (state.history.length > 100) state.history.shift();
    if (spans) {
      state.given.set(item.id, label);
      if (state.given.size > 100) state.given.delete(state.given.keys().next().value);
      state.sp.itemId = null;  // answered: should the item come back, it starts afresh (or as undo sets it)
    }
    if (multilabel) {
      state.given.set(item.id, label);
      if (state.given.size > 100) state.given.delete(state.given.keys().next().value);
      state.tickedFor = null;  // answered: should the item come back, it starts afresh (or as undo sets it)
    }
    // Focus seconds on the item (timing.js), read before the next item takes the screen.
    const seconds = window.hiltTiming ? window.hiltTiming.seconds(item.id) : null;
    state.ops.push({ kind: "answer", body: { item_id: item.id, label: label, answer_id: uuid(), seconds: seconds } });
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
    if (state.presses.length) {  // the latest press has not labelled anything yet: take it back
      state.presses.pop();
      say("Took back a key press that was waiting for the next item.");
      renderSaveState();
      return;
    }
    // Show the item we expect back at once; the server's reply confirms or corrects it.
    const expected = state.history.pop() || null;
    if (expected) {
      if (state.shown && state.shown.id !== expected.id) state.ahead = state.shown;
      state.shown = expected;
      state.confirmed = false;
      state.exhausted = false;
      if (spans) {  // the marks come back as they were answered, to mend them
        const given = state.given.get(expected.id);
        state.sp.itemId = Array.isArray(given) ? expected.id : null;  // a skip comes back afresh
        if (Array.isArray(given)) editor.load(itemText(expected), itemTokens(expected), S.marksOf(itemTokens(expected), given, false));
      }
      if (multilabel) {  // the ticks come back as they were answered, to mend one of them
        state.tickedFor = expected.id;
        state.ticked = new Set(asSet(state.given.get(expected.id)) || []);
      }
      say("Undoing…");
    }
    state.ops.push({ kind: "undo", undoId: uuid() });
    render();
    pump();
  }

  // A key pressed while no item is shown: kept for the next item (applied the moment it shows),
  // or, when nothing is left to label, said to be unused.
  function keepForNextItem(press) {
    if (state.exhausted && !state.ops.length && !state.loading) {
      say("Nothing is left to label: that key press was not used.");
    } else {
      state.presses.push(press);
      renderSaveState();
    }
  }

  // One label: Enter answers with the item's suggestion (nothing when it has none).
  function acceptSuggestion() {
    if (state.fatal) return;
    const item = current();
    if (!item) {
      keepForNextItem({ kind: "accept" });
      return;
    }
    const suggestion = SG.of(item);
    if (suggestion === null) {
      say("This item has no suggestion: press a label's key.");
      return;
    }
    answer(suggestion);
  }

  // Multi-label: tick or untick a label on the item shown (or, while none is, on the next one).
  function toggle(label) {
    if (state.fatal) return;
    const item = current();
    if (!item) {
      keepForNextItem({ kind: "toggle", label: label });
      return;
    }
    if (state.tickedFor !== item.id) {
      state.tickedFor = item.id;
      state.ticked = new Set(SG.of(item) || []);
    }
    if (state.ticked.has(label)) state.ticked.delete(label);
    else state.ticked.add(label);
    renderTicks(false);
  }

  // Multi-label: send the ticked set. Nothing ticked sends nothing: "none of these" is its own
  // key, so a stray Enter never records that no label applies.
  function submitSet() {
    if (state.fatal) return;
    const item = current();
    if (!item) {
      keepForNextItem({ kind: "submit" });
      return;
    }
    const chosen = state.tickedFor === item.id ? inLabelOrder(state.ticked, labels) : [];
    if (!chosen.length) {
      say("Nothing is ticked: press a label's key to tick it, " + NONE_KEY + " for none of these, or s to skip.");
      return;
    }
    answer(chosen);
  }

  els.choices.forEach((button) => {
    button.addEventListener("click", () => (multilabel ? toggle(button.dataset.label)
      : spans ? (current() && markWith(button.dataset.label)) : answer(button.dataset.label)));
  });
  if (spans) {
    els.submitSet.addEventListener("click", () => submitSpans());
    els.noneSet.addEventListener("click", () => nothingToMark());
    if (els.suggestToggle) els.suggestToggle.addEventListener("click", () => current() && toggleSuggestions());
    editor.listen(() => !!current() && state.sp.itemId === current().id);
  }
  if (multilabel) {
    els.submitSet.addEventListener("click", () => submitSet());
    els.noneSet.addEventListener("click", () => answer([]));
  }
  els.skip.addEventListener("click", () => answer(null));
  els.undo.addEventListener("click", () => undo());
  els.showAll.addEventListener("click", () => toggleWhole());

  function toggleWhole() {
    const item = current();
    if (!item) return;
    state.showAll = state.showAll === item.id ? null : item.id;
    renderItem();
  }

  document.addEventListener("keydown", (event) => {
    if (spans && !event.ctrlKey && !event.metaKey && !event.altKey) {
      // The cursor keys repeat while held down (pressedKey ignores repeats: one label per press).
      const target = event.target;
      const typing = target && (target.tagName === "INPUT" || target.tagName === "TEXTAREA" || target.isContentEditable);
      const key = event.key.length === 1 ? event.key.toLowerCase() : event.key;
      const moves = key === "ArrowLeft" || key === "ArrowRight";
      if (!typing && (moves || !event.repeat) && (SPAN_KEYS.has(key) || keyToLabel.has(key) || key === NONE_KEY || key === SKIP_KEY)) {
        event.preventDefault();
        spanKey(key, event.shiftKey);
        return;
      }
    }
    const key = pressedKey(event);
    if (key === null) return;
    if (keyToLabel.has(key)) {
      event.preventDefault();
      if (multilabel) toggle(keyToLabel.get(key));
      else answer(keyToLabel.get(key));
    } else if (multilabel && key === "Enter") {
      event.preventDefault();  // also keeps a focused button from being clicked by the Enter
      submitSet();
    } else if (key === "Enter" && !multilabel && !spans && (!current() || SG.of(current()) !== null)) {
      // Only with a suggestion to accept (or no item yet): otherwise Enter stays the browser's.
      event.preventDefault();
      acceptSuggestion();
    } else if (multilabel && key === NONE_KEY) {
      event.preventDefault();
      answer([]);
    } else if (key === "v") {
      event.preventDefault();
      toggleWhole();
    } else if (key === "s") {
      event.preventDefault();
      answer(null);
    } else if (key === "u" || key === "Backspace") {
      event.preventDefault();
      undo();
    }
  });

  // Leaving with unsaved answers: ask the browser to warn.
  window.addEventListener("beforeunload", (event) => {
    if (state.ops.length || state.presses.length) {
      event.preventDefault();
      event.returnValue = "";
    }
  });

  // For tests and the curious: how many answers are still waiting for the server.
  window.hilt = { pending: () => state.ops.length + state.presses.length, state: state };

  render();
  load();
  refreshHistory();
})();
