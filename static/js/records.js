// Record pages (clients, deals, tickets): click-to-edit keys, comment composer,
// @mention suggestions, presence without oneself. No inline scripts (CSP).
"use strict";

(function () {
  const me = document.body.dataset.userId;

  // --- A client's upcoming meetings re-read themselves when one is scheduled, moved or cancelled
  document.addEventListener("live:event", (event) => {
    if (event.detail.kind !== "calendar.meeting" || !window.htmx) return;
    for (const card of document.querySelectorAll("[data-client-meetings]")) htmx.trigger(card, "meetings:refresh");
  });

  // --- Field editors: Enter saves, Escape cancels ------------------------------------
  document.addEventListener("keydown", (event) => {
    const display = event.target.closest && event.target.closest(".field-display.is-editable");
    if (display && event.target === display && (event.key === "Enter" || event.key === " ")) {
      event.preventDefault();
      display.click();
      return;
    }
    const editor = event.target.closest && event.target.closest("form[data-field-editor]");
    if (!editor) return;
    if (event.key === "Escape") {
      event.preventDefault();
      const cancel = editor.querySelector("[data-field-cancel]");
      if (cancel) cancel.click();
    } else if (event.key === "Enter" && !event.shiftKey && event.target.matches("textarea, select")) {
      event.preventDefault();
      editor.requestSubmit();
    }
  });

  // A link inside an editable value (an email, a website) opens, it does not edit.
  document.addEventListener(
    "click",
    (event) => {
      const link = event.target.closest && event.target.closest(".field-display.is-editable a[href]");
      if (link) event.stopPropagation();
    },
    true,
  );

  // The editor that opens gets the caret at the end of its value.
  document.addEventListener("htmx:afterSettle", (event) => {
    const input = event.detail.elt.querySelector && event.detail.elt.querySelector("form[data-field-editor] [name=value]");
    if (!input) return;
    input.focus();
    if (input.setSelectionRange && /^(text|tel|search)$|textarea/i.test(input.type)) {
      input.setSelectionRange(input.value.length, input.value.length);
    }
  });

  // --- Comment composer -----------------------------------------------------------------
  document.addEventListener("keydown", (event) => {
    const box = event.target;
    if (!box.matches || !box.matches("textarea[data-mentions]")) return;
    if (mentions.handleKey(event, box)) return;
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
      event.preventDefault();
      box.form.requestSubmit();
    } else if (event.key === "Escape") {
      const cancel = box.form.querySelector("[data-comment-cancel], [data-reply-cancel]");
      if (cancel) cancel.click();
    }
  });

  document.addEventListener("click", (event) => {
    const cancel = event.target.closest && event.target.closest("[data-reply-cancel]");
    if (cancel) cancel.closest("form").remove();
  });

  // Characters left, once the cap comes near.
  document.addEventListener("input", (event) => {
    const box = event.target;
    if (!box.matches || !box.matches("textarea[data-mentions]")) return;
    const counter = box.parentElement.querySelector(".comment-counter");
    const left = Number(box.getAttribute("maxlength")) - box.value.length;
    if (counter) {
      counter.textContent = left < 500 ? `${left.toLocaleString()} characters left` : "";
      counter.classList.toggle("is-low", left < 100);
    }
    mentions.suggest(box);
  });

  // --- @mention suggestions (the menu itself: autocomplete.js) -----------------------------
  const MENTION = /(?:^|[^\w@])@([\w.'-]*(?: [\w.'-]*)?)$/;

  const mentions = window.textAutocomplete({
    selector: "textarea[data-mentions]",
    find(before) {
      const match = MENTION.exec(before);
      return match && { query: match[1], length: match[1].length };
    },
    async load(box, { query }) {
      const response = await fetch(`${box.dataset.mentions}?q=${encodeURIComponent(query)}`, {
        headers: { Accept: "application/json" },
      });
      if (!response.ok) return null;
      const { people } = await response.json();
      return people.map((person) => ({
        insert: person.name,
        label: person.name,
        detail: person.email,
        initials: person.initials,
        colour: person.colour,
      }));
    },
    accepts: (event) => !event.ctrlKey && !event.metaKey,
  });

  // --- Presence: the others, not oneself ------------------------------------------------
  // live.js draws everyone viewing (one badge per person, in its order); drop the viewer.
  document.addEventListener("live:presence", (event) => {
    const { topic, people } = event.detail;
    const mine = people.findIndex((person) => String(person.id) === me);
    if (mine < 0) return;
    for (const el of document.querySelectorAll("[data-live-presence]")) {
      if (el.dataset.livePresence === topic && el.children[mine]) el.children[mine].remove();
    }
  });
})();
