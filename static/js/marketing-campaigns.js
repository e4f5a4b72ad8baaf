// The campaign pages (templates/marketing/campaigns/): the editor's merge-field helper,
// its preview kept up with what is typed, the send buttons held while the merge fields
// have problems, and confirmations before sending or cancelling. No inline scripts (CSP).
"use strict";

(function () {
  const PREVIEW_DELAY = 700; // ms after the last keystroke before the preview is redrawn

  // Buttons that ask first (Send now, Cancel): data-confirm holds the question.
  document.addEventListener("submit", (event) => {
    const question = event.submitter && event.submitter.dataset.confirm;
    if (question && !window.confirm(question)) event.preventDefault();
  });

  // The results page's live figures were drawn at event data-live-drawn: an older event the
  // socket replays (its overlap window) must not put older figures back (live.js skips an
  // element whose data-live-id is newer than the event).
  function stampDrawn(root) {
    const regions = [...(root.matches?.("[data-live-drawn]") ? [root] : []), ...root.querySelectorAll("[data-live-drawn]")];
    for (const region of regions) {
      for (const el of region.querySelectorAll("[id]")) el.dataset.liveId = region.dataset.liveDrawn;
    }
  }
  stampDrawn(document);
  if (window.htmx) htmx.onLoad(stampDrawn); // a resync draws the region again

  // The marketing home: an event on a campaign it shows sending redraws its main column (the
  // progress, and the campaign moving to "Recently sent" when done), at most every few seconds.
  const REFRESH_DELAY = 3000;
  let refreshTimer = null;
  document.addEventListener("live:event", (event) => {
    const region = document.querySelector("[data-live-refresh][id]");
    if (!region || refreshTimer || !window.htmx) return;
    const shown = [...region.querySelectorAll("[data-live-topic]")].some((el) => el.dataset.liveTopic === event.detail.topic);
    if (!shown) return;
    refreshTimer = setTimeout(() => {
      refreshTimer = null;
      htmx.ajax("GET", location.href, { target: `#${region.id}`, select: `#${region.id}`, swap: "outerHTML" });
    }, REFRESH_DELAY);
  });

  const form = document.getElementById("campaign-form");
  const body = form && form.querySelector("textarea[name=body]");
  if (!form || !body || body.disabled) return;

  // --- Merge fields: a click inserts the field where the cursor is -----------------------

  function insertAtCursor(text) {
    const start = body.selectionStart ?? body.value.length;
    const end = body.selectionEnd ?? start;
    body.setRangeText(text, start, end, "end");
    body.focus();
    body.dispatchEvent(new Event("input", { bubbles: true }));
  }

  form.addEventListener("click", (event) => {
    const chip = event.target.closest("[data-merge]");
    if (chip) insertAtCursor(chip.dataset.merge);
  });

  // --- The preview: the typed content posted into the sandboxed frame --------------------

  const refresh = document.getElementById("campaign-preview-refresh");
  let previewTimer = null;

  function redrawPreview() {
    clearTimeout(previewTimer);
    if (refresh) form.requestSubmit(refresh);
  }

  function redrawSoon() {
    clearTimeout(previewTimer);
    previewTimer = setTimeout(redrawPreview, PREVIEW_DELAY);
  }

  form.addEventListener("input", (event) => {
    if (!event.target.matches("[name=send_at], [name=cost], [name=currency], [name=name]")) redrawSoon();
  });
  form.addEventListener("change", (event) => {
    if (event.target.matches("[name=layout], [name=segment]")) redrawPreview();
  });
  // A form drawn again with what was typed (errors): show that, not the saved email.
  if (form.dataset.typed !== undefined) redrawPreview();

  // --- Problems found by the checker: hold the buttons that would send --------------------

  document.addEventListener("htmx:afterSwap", () => {
    const problems = document.getElementById("campaign-problems");
    if (!problems) return;
    const count = Number.parseInt(problems.dataset.problemCount || "0", 10);
    for (const button of form.querySelectorAll("[data-needs-clean]")) button.disabled = count > 0;
    const note = document.getElementById("campaign-needs-clean");
    if (note) note.classList.toggle("d-none", count === 0);
    body.classList.toggle("is-invalid", count > 0);
  });
})();
