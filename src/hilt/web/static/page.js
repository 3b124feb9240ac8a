// hilt: what the labelling page (label.js) and the review page (review.js) show and read the
// same way: an item's fields, and the keys pressed. Loaded before them; they find it as
// window.hiltPage.
"use strict";
(function () {
  // A long text is shown shortened: laying out megabytes of text freezes the tab, and the
  // decision rarely needs more than the start. The model always sees the whole item.
  const SHOWN_CHARS = 5000;

  // An item's fields (`data`) into the page's elements: `text` large in els.text, any other
  // fields in the key/value table els.table (in columns when there are many), so a table item is
  // the table alone. A field longer than SHOWN_CHARS is shortened unless `whole`; els.showAll
  // then offers the rest. Values go in with textContent only: HTML or script in them stays inert.
  function showFields(els, data, whole) {
    let cut = 0;  // characters of the item longer than a field shows shortened
    const show = (value) => {
      const text = value === null || value === undefined ? "" : String(value);
      if (text.length <= SHOWN_CHARS) return text;
      cut += text.length - SHOWN_CHARS;
      return whole ? text : text.slice(0, SHOWN_CHARS) + "…";
    };
    const hasText = Object.prototype.hasOwnProperty.call(data, "text");
    els.text.hidden = !hasText;
    els.text.textContent = hasText ? show(data.text) : "";
    const keys = Object.keys(data).filter((key) => key !== "text");
    els.table.hidden = keys.length === 0;
    els.table.classList.toggle("many", keys.length > 8);
    const rows = keys.map((key) => {
      const row = document.createElement("tr");
      const th = document.createElement("th");
      const td = document.createElement("td");
      th.textContent = key;
      td.textContent = show(data[key]);
      row.append(th, td);
      return row;
    });
    els.table.tBodies[0].replaceChildren(...rows);
    els.showAll.hidden = cut === 0;
    els.showAll.lastChild.textContent = whole ? "show less"
      : "show all (" + cut.toLocaleString("en") + " more characters)";
  }

  // The key a keydown means for the page (a letter in lower case, else its name such as
  // "ArrowLeft"); null when the page leaves it alone: with a modifier, held down (a repeat), or
  // typed into a text field.
  function pressedKey(event) {
    if (event.ctrlKey || event.metaKey || event.altKey || event.repeat) return null;
    const target = event.target;
    if (target && (target.tagName === "INPUT" || target.tagName === "TEXTAREA" || target.isContentEditable)) return null;
    return event.key.length === 1 ? event.key.toLowerCase() : event.key;
  }

  window.hiltPage = { showFields: showFields, pressedKey: pressedKey };
})();
