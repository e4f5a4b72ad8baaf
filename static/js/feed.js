// The subscribe / export / import page: copy the feed link (refusals show via app.js).
// No inline scripts (CSP).
"use strict";

(function () {
  // "Copy" next to a read-only field: the clipboard API where allowed, else select for Ctrl+C.
  document.addEventListener("click", async (event) => {
    const button = event.target.closest && event.target.closest("button[data-copy]");
    if (!button) return;
    const field = document.querySelector(button.dataset.copy);
    if (!field) return;
    const label = button.querySelector("span");
    try {
      await navigator.clipboard.writeText(field.value);
      if (label) label.textContent = button.dataset.copied || "Copied";
    } catch {
      field.focus();
      field.select();
      if (label) label.textContent = "Press Ctrl+C";
    }
  });
})();
