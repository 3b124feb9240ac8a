// hilt: how long a person spends on each item (focus time), sent with the answer as `seconds`.
//
// The clock runs while an item is on screen (#item carries its id in data-item-id, set by
// label.js and review.js) AND the tab is visible AND the window has the focus. It pauses on blur
// and when the tab is hidden, and stops by itself once nobody has pressed a key or moved the
// mouse for the idle cap (data-idle-seconds on this script's tag: HILT_IDLE_SECONDS, 60 s by
// default): a person who walked away is not counted as reading. Any key or mouse move starts it
// again. Another item resets it; the same item shown again (a reload of its fields) does not.
//
// window.hiltTiming.seconds(itemId) reads the time of the item on screen (null for another item).
"use strict";
(function () {
  const script = document.currentScript;
  const idleSeconds = parseFloat(script && script.dataset.idleSeconds);
  const IDLE_MS = 1000 * (idleSeconds > 0 ? idleSeconds : 60);
  const item = document.getElementById("item");
  if (!item) return;
  const now = () => performance.now();

  const clock = {
    shown: null,       // id of the item the clock is for
    present: false,    // that item is on screen now
    focused: document.hasFocus(),
    visible: document.visibilityState === "visible",
    counted: 0,        // ms counted before the current stretch
    since: null,       // when the current stretch began (null: not running)
    lastActive: now(), // the latest key press or mouse move
  };

  // The current stretch ends now, or where the idle cap stopped it.
  function stretch(t) {
    return clock.since === null ? 0 : Math.max(0, Math.min(t, clock.lastActive + IDLE_MS) - clock.since);
  }

  function pause(t) {
    clock.counted += stretch(t);
    clock.since = null;
  }

  function resume(t) {
    if (clock.since === null && clock.present && clock.focused && clock.visible) clock.since = t;
  }

  function activity() {
    const t = now();
    if (clock.since !== null && t - clock.lastActive > IDLE_MS) {  // stopped by the cap: start again
      pause(t);
      clock.lastActive = t;
      resume(t);
    }
    clock.lastActive = t;
  }

  function itemChanged() {
    const t = now();
    const id = item.getAttribute("data-item-id");
    if (id === null) {  // nothing on screen (loading): the clock waits
      pause(t);
      clock.present = false;
      return;
    }
    if (id !== clock.shown) {
      clock.shown = id;
      clock.counted = 0;
      clock.since = null;
    }
    clock.present = true;
    clock.lastActive = t;  // a new item on screen is read: it counts as activity
    resume(t);
  }

  function focusChanged(focused) {
    const t = now();
    clock.focused = focused;
    if (focused) {
      clock.lastActive = t;
      resume(t);
    } else {
      pause(t);
    }
  }

  new MutationObserver(itemChanged).observe(item, { attributes: true, attributeFilter: ["data-item-id"] });
  window.addEventListener("blur", () => focusChanged(false));
  window.addEventListener("focus", () => focusChanged(true));
  document.addEventListener("visibilitychange", () => {
    const t = now();
    clock.visible = document.visibilityState === "visible";
    if (clock.visible) {
      clock.lastActive = t;
      resume(t);
    } else {
      pause(t);
    }
  });
  for (const name of ["keydown", "mousedown", "mousemove", "wheel", "touchstart"]) {
    window.addEventListener(name, activity, { capture: true, passive: true });
  }
  itemChanged();

  window.hiltTiming = {
    // Seconds spent on `itemId` so far (null when it is not the item the clock is for).
    seconds: (itemId) => (String(itemId) === clock.shown ? Math.round(clock.counted + stretch(now())) / 1000 : null),
    running: () => clock.since !== null,
    idleSeconds: IDLE_MS / 1000,
  };
})();
