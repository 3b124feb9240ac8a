// hilt: the guidelines panel of the labelling and review pages (templates/_guidelines.html).
// The "Guidelines" button and the ? key open and close it; it opens by itself on a person's first
// visit to the project and again after the guidelines change (localStorage remembers which version
// this browser has seen). The panel does not take the keys: labelling goes on while it is open.
"use strict";
(function () {
  const panel = document.getElementById("guidelines");
  const toggle = document.getElementById("guidelines-toggle");
  if (!panel || !toggle) return;
  const closer = document.getElementById("guidelines-close");
  const storeKey = "hilt.guidelines.seen:" + (panel.dataset.seenKey || "");
  const version = panel.dataset.version || "1";

  function remember() {
    try {
      window.localStorage.setItem(storeKey, version);
    } catch (ignored) { /* storage off: the panel opens on every visit */ }
  }

  function seenBefore() {
    try {
      return window.localStorage.getItem(storeKey) === version;
    } catch (ignored) {
      return false;
    }
  }

  function show(open) {
    panel.hidden = !open;
    toggle.setAttribute("aria-expanded", open ? "true" : "false");
    toggle.classList.toggle("active", open);
    if (open) remember();
  }

  show(!seenBefore());
  toggle.addEventListener("click", () => show(panel.hidden));
  if (closer) closer.addEventListener("click", () => show(false));
  document.addEventListener("keydown", (event) => {
    if (event.key !== "?" || event.ctrlKey || event.metaKey || event.altKey || event.repeat) return;
    const target = event.target;
    if (target && (target.tagName === "INPUT" || target.tagName === "TEXTAREA" || target.isContentEditable)) return;
    event.preventDefault();
    show(panel.hidden);
  });

  window.hiltGuidelines = { shown: () => !panel.hidden, show: show };
})();
