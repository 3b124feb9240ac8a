// hilt labelling page: another model's suggestion (an imported prediction) for the item shown.
//
// Unlike the model's own guess, which shows only after the answer, a suggestion is shown
// before it, marked "suggested by SOURCE" with the model's confidence, so that people accept or
// correct it: Enter accepts (one label: answers with it; a label set: the suggested labels
// start ticked and Enter saves the ticks; spans: the suggested spans start on the text, dashed,
// and Enter saves them). The server decides which items carry one (never an evaluation item)
// and whether an answer kept it: the page only shows it.
"use strict";
(function () {
  // The suggestion of `item` as the answer the page would send, or null.
  function of(item) {
    if (!item || item.suggestion === null || item.suggestion === undefined) return null;
    return item.suggestion;
  }

  // What the banner says the suggestion is: a label, a set of labels, or a count of spans.
  function describe(suggestion, task) {
    if (task === "spans") {
      const n = Array.isArray(suggestion) ? suggestion.length : 0;
      return n ? n + " span" + (n === 1 ? "" : "s") + " (dashed on the text)" : "nothing to mark";
    }
    if (Array.isArray(suggestion)) return suggestion.length ? suggestion.join(", ") : "none of these";
    return String(suggestion);
  }

  // Fill `el` (the banner) for `item`: hidden when it has no suggestion. Text only (textContent):
  // a source name or label with markup in it stays inert.
  function show(el, item, task) {
    if (!el) return;
    const suggestion = of(item);
    el.hidden = suggestion === null;
    if (suggestion === null) {
      el.replaceChildren();
      el.removeAttribute("data-item-id");
      return;
    }
    if (el.dataset.itemId === item.id) return;
    el.dataset.itemId = item.id;
    const by = document.createElement("span");
    by.className = "suggestion-source";
    by.textContent = "suggested by " + (item.suggestion_source || "a model");
    const what = document.createElement("strong");
    what.className = "suggestion-label";
    what.textContent = describe(suggestion, task);
    const parts = [by, document.createTextNode(": "), what];
    if (typeof item.suggestion_score === "number") {
      const score = document.createElement("span");
      score.className = "suggestion-score muted";
      score.textContent = " (" + Math.round(item.suggestion_score * 100) + " % sure)";
      parts.push(score);
    }
    const key = document.createElement("span");
    key.className = "suggestion-key muted";
    const kbd = document.createElement("kbd");
    kbd.textContent = "↵";
    key.append(" · ", kbd, task === "single" || !task ? " Enter accepts it" : " Enter saves it (change it first if it is wrong)");
    parts.push(key);
    el.replaceChildren(...parts);
  }

  window.hiltSuggest = { of: of, show: show, describe: describe };
})();
