// hilt: what the labelling page (label.js) and the review page (review.js) show and read the
// same way: an item's fields, and the keys pressed. Loaded before them; they find it as
// window.hiltPage.
"use strict";
(function () {
  // A long text is shown shortened: laying out megabytes of text freezes the tab, and the
  // decision rarely needs more than the start. The model always sees the whole item.
  const SHOWN_CHARS = 5000;

  // The largest an image is drawn (CSS px): a whole number of screen pixels per image pixel
  // up to this, so 8x8 digits and 28x28 MNIST both come out about 280 px wide and crisp.
  const IMAGE_PX = 288;

  // Which columns are an image's pixels: decided on the server (hilt.project.image_view) and
  // written on #item as data-image = {"side", "pixels"} (row-major); null when none are.
  function imageOf(els) {
    if (els.imageView === undefined) {
      const raw = els.item && els.item.dataset.image;
      els.imageView = raw ? JSON.parse(raw) : null;
    }
    return els.imageView;
  }

  // The pixels' values in row-major order, or null when one is missing or not a number (the row
  // is then listed as a table, as it is).
  function pixelValues(view, data) {
    const values = new Array(view.pixels.length);
    for (let k = 0; k < view.pixels.length; k++) {
      const value = data[view.pixels[k]];
      if (typeof value !== "number" || !Number.isFinite(value)) return null;
      values[k] = value;
    }
    return values;
  }

  // Grey from the row's lowest value to its highest (as hilt.project.image_view.grey_levels):
  // that fits scikit-learn's digits (0-16), MNIST (0-255) and standardized pixels alike. High
  // values are drawn dark on light, like ink on the page (and matplotlib's gray_r digit plots).
  function drawImage(canvas, side, values) {
    let low = Infinity;
    let high = -Infinity;
    for (const v of values) {
      if (v < low) low = v;
      if (v > high) high = v;
    }
    const span = high > low ? high - low : 1;
    canvas.width = side;
    canvas.height = side;
    const ctx = canvas.getContext("2d");
    const picture = ctx.createImageData(side, side);
    for (let k = 0; k < values.length; k++) {
      const ink = 255 - Math.round((255 * (values[k] - low)) / span);
      picture.data.set([ink, ink, ink, 255], 4 * k);
    }
    ctx.putImageData(picture, 0, 0);
    const scale = Math.max(1, Math.floor(IMAGE_PX / side));
    canvas.style.width = scale * side + "px";  // height: auto keeps it square
    canvas.setAttribute("role", "img");
    canvas.setAttribute("aria-label", side + "×" + side + " image drawn from " + values.length + " columns");
  }

  // The column of image files or URLs shown as an <img> (hilt.project.media): written on #item
  // as data-picture = {"column", "served"} by the server; null without one. A URL (http, https)
  // is shown as given; a path only when the server has an image folder to serve it from
  // (/media/PATH, each part of the path escaped). The <img> is made on first use.
  function pictureOf(els) {
    if (els.pictureView === undefined) {
      const raw = els.item && els.item.dataset.picture;
      els.pictureView = raw ? JSON.parse(raw) : null;
    }
    return els.pictureView;
  }

  function pictureSource(view, value) {
    if (typeof value !== "string" || !value.trim()) return null;
    const text = value.trim();
    if (/^https?:\/\//i.test(text)) return text;
    if (!view.served) return null;
    return "/media/" + text.replace(/\\/g, "/").split("/").map(encodeURIComponent).join("/");
  }

  // Shows the item's picture; returns the column it took (left out of the table), or null.
  function showPicture(els, data) {
    const view = pictureOf(els);
    const holder = els.table.parentElement;
    if (!view || !holder) return null;
    if (!els.picture) {
      els.picture = document.createElement("img");
      els.picture.id = "item-picture";
      els.picture.className = "item-picture";
      els.picture.decoding = "async";
      holder.insertBefore(els.picture, holder.firstChild);
    }
    const source = pictureSource(view, data[view.column]);
    els.picture.hidden = !source;
    if (!source) {
      els.picture.removeAttribute("src");
      return null;
    }
    if (els.picture.getAttribute("src") !== source) els.picture.src = source;
    els.picture.alt = view.column + ": " + String(data[view.column]);
    holder.classList.add("has-image");
    return view.column;
  }

  // An item's fields (`data`) into the page's elements: `text` large in els.text, any other
  // fields in the key/value table els.table (in columns when there are many), so a table item is
  // the table alone. When the server named an image's pixel columns, they are drawn on
  // els.image instead and the table lists the other fields beside it. A field longer than
  // SHOWN_CHARS is shortened unless `whole`; els.showAll then offers the rest. Values go in with
  // textContent only: HTML or script in them stays inert.
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
    const view = els.image ? imageOf(els) : null;
    const values = view ? pixelValues(view, data) : null;
    const pixels = new Set(values ? view.pixels : []);
    if (els.image) {
      els.image.hidden = !values;
      if (values) drawImage(els.image, view.side, values);
    }
    if (els.table.parentElement) els.table.parentElement.classList.toggle("has-image", !!values);
    const pictured = showPicture(els, data);
    const keys = Object.keys(data).filter((key) => key !== "text" && !pixels.has(key) && key !== pictured);
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

  // ---- label sets (the multi-label task) ------------------------------------------------------
  // A multi-label answer is a list of labels in the project's label order; [] is "none of
  // these" (an answer), null a skip. The server sends lists; a JSON array in a string (as the
  // store keeps it) is read the same way.

  // The labels of `value` as an array (null stays null: a skip, or no guess).
  function asSet(value) {
    if (value === null || value === undefined) return null;
    if (Array.isArray(value)) return value.map(String);
    if (typeof value === "string" && value.startsWith("[")) {
      try {
        const parsed = JSON.parse(value);
        if (Array.isArray(parsed)) return parsed.map(String);
      } catch (ignored) { /* not a list after all */ }
    }
    return [String(value)];
  }

  // The labels of `chosen` (any iterable) in the project's order `labels`.
  function inLabelOrder(chosen, labels) {
    const set = new Set(chosen);
    return labels.filter((label) => set.has(label));
  }

  function sameSet(a, b) {
    if (a === null || b === null) return a === b;
    const left = new Set(a);
    return left.size === new Set(b).size && b.every((label) => left.has(label));
  }

  // A set in words: "pos, funny", or "none of these" for the empty set.
  function setText(value) {
    const set = asSet(value);
    if (set === null) return "skipped";
    return set.length ? set.join(", ") : "none of these";
  }

  window.hiltPage = {
    showFields: showFields, pressedKey: pressedKey,
    sets: { asSet: asSet, inLabelOrder: inLabelOrder, sameSet: sameSet, setText: setText },
  };
})();
