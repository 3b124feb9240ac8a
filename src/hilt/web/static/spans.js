// hilt: the spans widget's pieces shared by the labelling page (label.js) and the review page
// (review.js): offsets, marks and how a text with its marks is laid out. Loaded before them;
// they find it as window.hiltSpans.
//
// The server speaks code points (Python str indices) for every offset: the tokens it sends and
// the spans it stores. JavaScript strings are UTF-16, where an emoji outside the BMP takes two
// units, so every slice of the text goes through `unitsOf` (code point -> UTF-16 index). The page
// never tokenizes: the cursor moves over the server's tokens (hilt.tasks.spans_text.tokenize).
//
// A mark is {a, b, label, start, end, suggested}: tokens a..b (inclusive) and the exact
// code-point offsets it answers with (a person's mark covers whole tokens; a suggestion or an
// earlier answer keeps the offsets it came with).
"use strict";
(function () {
  // unitsOf(text)[k] = the UTF-16 index of code point k (one more entry for the end).
  function unitsOf(text) {
    const units = [0];
    let at = 0;
    for (const char of text) {  // iterates code points, not UTF-16 units
      at += char.length;
      units.push(at);
    }
    return units;
  }

  // The tokens a..b that the code-point stretch [start, end) overlaps, or null when none does.
  function tokenRange(tokens, start, end) {
    let a = -1;
    let b = -1;
    for (let t = 0; t < tokens.length; t++) {
      if (tokens[t][1] > start && tokens[t][0] < end) {
        if (a < 0) a = t;
        b = t;
      }
    }
    return a < 0 ? null : [a, b];
  }

  // Marks from a list of spans (an answer or a guess): sorted, each on the tokens it covers; a
  // span that covers no token, or shares one with an earlier span, is left out (it cannot be
  // shown on the token cursor's grid).
  function marksOf(tokens, spans, suggested) {
    const marks = [];
    const sorted = (Array.isArray(spans) ? spans : []).slice()
      .sort((x, y) => x.start - y.start || x.end - y.end);
    for (const span of sorted) {
      const range = tokenRange(tokens, span.start, span.end);
      if (!range) continue;
      if (marks.length && marks[marks.length - 1].b >= range[0]) continue;
      marks.push({ a: range[0], b: range[1], label: String(span.label), start: span.start, end: span.end,
                   suggested: !!suggested });
    }
    return marks;
  }

  // The answer (code-point spans, sorted by start, end) that `marks` stand for.
  function answerOf(marks) {
    return marks.map((m) => ({ start: m.start, end: m.end, label: m.label }))
      .sort((x, y) => x.start - y.start || x.end - y.end);
  }

  // Two answers are the same when they hold the same (start, end, label) spans.
  function sameSpans(x, y) {
    if (!Array.isArray(x) || !Array.isArray(y)) return x === y;
    const key = (s) => s.start + ":" + s.end + ":" + s.label;
    const left = new Set(x.map(key));
    return left.size === new Set(y.map(key)).size && y.every((s) => left.has(key(s)));
  }

  // Spans in words: "[Grace Hopper]PER [Paris]LOC" (with the text), "nothing to mark" for [].
  function spansText(spans, text) {
    if (spans === null || spans === undefined) return "skipped";
    if (!Array.isArray(spans)) return String(spans);
    if (!spans.length) return "nothing to mark";
    if (typeof text !== "string") {
      return spans.length + " span" + (spans.length === 1 ? "" : "s") + ": " + spans.map((s) => s.label).join(", ");
    }
    const units = unitsOf(text);
    const cut = (k) => units[Math.min(k, units.length - 1)];
    return spans.map((s) => "[" + text.slice(cut(s.start), cut(s.end)) + "]" + s.label).join(" ");
  }

  // The colour of a label: its place among the project's labels (eight colours, then again).
  function colourClass(labels, label) {
    const k = labels.indexOf(label);
    return "lab-" + ((k < 0 ? labels.length : k) % 8);
  }

  // Lay out `text` in `el` as its tokens (span.tok, data-t = the token's number) with `marks` as
  // coloured <mark>s that end in their label's name. `view` may give `cursor` (a token number),
  // `sel` ([a, b]: the tokens selected) and `labels` (for the colours). Text goes in as text
  // nodes only: HTML in the data stays inert. Whitespace is kept as it is (CSS pre-wrap), so a
  // CRLF or a tab shows where it is.
  function render(el, text, tokens, marks, view) {
    view = view || {};
    const labels = view.labels || [];
    const units = unitsOf(text);
    const slice = (from, to) => text.slice(units[from], units[to]);
    const parts = [];
    const sorted = marks.slice().sort((x, y) => x.a - y.a);
    let m = 0;
    let open = null;  // the <mark> element being filled
    let at = 0;       // code points laid out so far
    for (let t = 0; t < tokens.length; t++) {
      const [start, end] = tokens[t];
      const gap = start > at ? document.createTextNode(slice(at, start)) : null;
      while (m < sorted.length && sorted[m].b < t) m++;
      const mark = m < sorted.length && sorted[m].a <= t ? sorted[m] : null;
      if (gap) (open && mark && mark.a < t ? open : { append: (n) => parts.push(n) }).append(gap);
      if (mark && mark.a === t) {
        open = document.createElement("mark");
        open.className = "span-mark " + colourClass(labels, mark.label) + (mark.suggested ? " suggested" : "");
        open.dataset.label = mark.label;
        open.dataset.start = String(mark.start);
        open.dataset.end = String(mark.end);
        if (mark.suggested) open.title = "suggested by the model";
        parts.push(open);
      }
      const tok = document.createElement("span");
      tok.className = "tok";
      tok.dataset.t = String(t);
      if (view.cursor === t) tok.classList.add("cursor");
      if (view.sel && t >= view.sel[0] && t <= view.sel[1]) tok.classList.add("sel");
      tok.textContent = slice(start, end);
      (mark ? open : { append: (n) => parts.push(n) }).append(tok);
      if (mark && mark.b === t) {
        const tag = document.createElement("span");
        tag.className = "span-tag";
        tag.textContent = mark.label + (mark.suggested ? "?" : "");
        open.append(tag);
        open = null;
      }
      at = end;
    }
    if (units.length - 1 > at) parts.push(document.createTextNode(slice(at, units.length - 1)));
    el.replaceChildren(...parts);
  }

  // The token a DOM point (a selection's anchor or focus) is in or next to, or null outside el.
  function tokenAt(el, node) {
    if (!node || !el.contains(node)) return null;
    let n = node.nodeType === 1 ? node : node.parentElement;
    const tok = n && n.closest(".tok");
    if (tok) return Number(tok.dataset.t);
    // Whitespace between tokens, or a label tag: the nearest token after it, else before it.
    let walk = node;
    while (walk && walk !== el) {
      let next = walk.nextSibling;
      while (next) {
        const found = next.nodeType === 1 ? (next.matches(".tok") ? next : next.querySelector(".tok")) : null;
        if (found) return Number(found.dataset.t);
        next = next.nextSibling;
      }
      walk = walk.parentNode;
    }
    const all = el.querySelectorAll(".tok");
    return all.length ? Number(all[all.length - 1].dataset.t) : null;
  }

  // The tokens a mouse selection in `el` covers, snapped to whole tokens: [a, b] or null.
  function selectedTokens(el) {
    const selection = window.getSelection();
    if (!selection || selection.isCollapsed || !selection.rangeCount) return null;
    const a = tokenAt(el, selection.anchorNode);
    const b = tokenAt(el, selection.focusNode);
    if (a === null || b === null) return null;
    return [Math.min(a, b), Math.max(a, b)];
  }

  // A spans answer as a list: the server sends lists; a JSON array in a string (as the store
  // keeps it) is read the same way. null stays null (a skip, or no guess).
  function asSpans(value) {
    if (value === null || value === undefined) return null;
    if (Array.isArray(value)) return value;
    if (typeof value === "string" && value.startsWith("[")) {
      try {
        const parsed = JSON.parse(value);
        if (Array.isArray(parsed)) return parsed;
      } catch (ignored) { /* not a list after all */ }
    }
    return null;
  }

  // The marking widget on one element, shared by the labelling and the review page: the text as
  // tokens with a cursor, the marks, the selection. The page decides what the keys mean beyond
  // these and when to draw; `hideSuggested` leaves suggestions out of what is shown and counted.
  class Editor {
    constructor(el, labels) {
      this.el = el;
      this.labels = labels;
      this.hideSuggested = false;
      this.onDraw = null;  // called after each draw (the page's buttons say what is marked)
      this.load("", [], []);
    }

    // A new text with its tokens and its starting marks; the cursor on the first token.
    load(text, tokens, marks) {
      this.text = text;
      this.tokens = Array.isArray(tokens) ? tokens : [];
      this.marks = marks.slice();
      this.cursor = 0;
      this.anchor = null;
    }

    visible() {
      return this.hideSuggested ? this.marks.filter((m) => !m.suggested) : this.marks;
    }

    own() {
      return this.marks.filter((m) => !m.suggested);
    }

    suggestions() {
      return this.marks.filter((m) => m.suggested).length;
    }

    selection() {
      if (this.anchor === null) return null;
      return [Math.min(this.anchor, this.cursor), Math.max(this.anchor, this.cursor)];
    }

    draw() {
      render(this.el, this.text, this.tokens, this.visible(),
             { cursor: this.tokens.length ? this.cursor : null, sel: this.selection(), labels: this.labels });
      this.el.classList.add("spans-text");
      if (this.onDraw) this.onDraw();
    }

    // ← → Home End (with shift: extend the selection), Escape (drop it); false for other keys.
    move(key, shift) {
      const last = Math.max(0, this.tokens.length - 1);
      if (key === "Escape") {
        this.anchor = null;
      } else if (key === "ArrowLeft" || key === "ArrowRight" || key === "Home" || key === "End") {
        if (shift && this.anchor === null) this.anchor = this.cursor;
        if (!shift) this.anchor = null;
        if (key === "ArrowLeft") this.cursor = Math.max(0, this.cursor - 1);
        else if (key === "ArrowRight") this.cursor = Math.min(last, this.cursor + 1);
        else this.cursor = key === "Home" ? 0 : last;
      } else {
        return false;
      }
      this.draw();
      return true;
    }

    markedAt(t) {
      return this.visible().find((m) => m.a <= t && t <= m.b) || null;
    }

    // Mark the selection (else the mark under the cursor: relabelled, else the token under it)
    // with `label`; false when the text has no tokens.
    mark(label) {
      if (!this.tokens.length) return false;
      let range = this.selection();
      if (!range) {
        const under = this.markedAt(this.cursor);
        range = under ? [under.a, under.b] : [this.cursor, this.cursor];
      }
      const [a, b] = range;
      // The new mark replaces every mark it overlaps (a hidden suggestion too: showing it again
      // must not give overlapping spans).
      this.marks = this.marks.filter((m) => m.b < a || m.a > b);
      this.marks.push({ a: a, b: b, label: label, start: this.tokens[a][0], end: this.tokens[b][1], suggested: false });
      this.marks.sort((x, y) => x.a - y.a);
      this.anchor = null;
      this.cursor = b;
      this.draw();
      return true;
    }

    // Remove the shown marks under the selection or the cursor; false when there is none.
    remove() {
      const range = this.selection() || [this.cursor, this.cursor];
      const shown = new Set(this.visible());
      const before = this.marks.length;
      this.marks = this.marks.filter((m) => !(shown.has(m) && m.b >= range[0] && m.a <= range[1]));
      this.anchor = null;
      this.draw();
      return before !== this.marks.length;
    }

    answer() {
      return answerOf(this.visible());
    }

    // The mouse: a drag over the text selects whole tokens (a label key then marks them); a
    // click puts the cursor on a token. `active()` says whether an item is on screen.
    listen(active) {
      this.el.addEventListener("mouseup", () => {
        if (!active()) return;
        const range = selectedTokens(this.el);
        if (!range) return;
        this.anchor = range[0];
        this.cursor = range[1];
        window.getSelection().removeAllRanges();
        this.draw();
      });
      this.el.addEventListener("click", (event) => {
        const tok = event.target.closest && event.target.closest(".tok");
        const sel = window.getSelection();
        if (!tok || !active() || (sel && !sel.isCollapsed)) return;
        this.cursor = Number(tok.dataset.t);
        this.anchor = null;
        this.draw();
      });
    }
  }

  window.hiltSpans = {
    unitsOf: unitsOf, tokenRange: tokenRange, marksOf: marksOf, answerOf: answerOf, sameSpans: sameSpans,
    spansText: spansText, colourClass: colourClass, render: render, selectedTokens: selectedTokens,
    asSpans: asSpans, Editor: Editor,
  };
})();
