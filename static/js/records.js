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

  // --- Field editors --------------------------------------------------------------------
  // A click opens the editor at once, from what the page already shows: the input's kind
  // (data-field-input) and its starting value (data-raw, kept current by live swaps). The
  // input exists and has the focus before the click returns, so no keystroke can land
  // elsewhere. The server's editor (choices, baseline, buttons) is then built around that
  // same input, which never leaves the page: what was typed, the selection and the focus
  // survive its arrival. Enter or Escape pressed before it arrives wait for it.
  const INPUT_TYPES = { date: "date", datetime: "datetime-local", number: "number", tel: "tel" };
  const TYPE_AHEAD_PAUSE = 1000; // ms between keys before a select's type-ahead starts over
  const editors = new WeakMap(); // an editor still waiting for the server's -> its state

  function newInput(kind, value, text) {
    if (kind === "select") {
      const select = document.createElement("select");
      select.className = "form-select form-select-sm";
      select.append(new Option(text, value, true, true));
      return select;
    }
    const input = document.createElement(kind === "textarea" ? "textarea" : "input");
    input.className = "form-control form-control-sm";
    if (kind === "textarea") input.rows = 3;
    else input.type = INPUT_TYPES[kind] || "text";
    input.value = value;
    return input;
  }

  function caretToEnd(input) {
    if (input.setSelectionRange && /^(text|tel|search|textarea)$/.test(input.type)) {
      input.setSelectionRange(input.value.length, input.value.length);
    }
  }

  function openEditor(display) {
    const field = display.closest(".field");
    const shown = display.querySelector(".field-value");
    const raw = shown.dataset.raw || "";
    const form = document.createElement("form");
    form.className = `${field.className} is-editing`;
    form.id = field.id;
    form.dataset.fieldEditor = "";
    const label = document.createElement("label");
    label.className = "field-label";
    label.htmlFor = `${field.id}-input`;
    label.textContent = field.querySelector(".field-label").textContent;
    const box = document.createElement("div");
    box.className = "field-edit";
    const input = newInput(display.dataset.fieldInput, raw, shown.dataset.text || raw);
    input.id = `${field.id}-input`;
    input.name = "value";
    box.append(input);
    form.append(label, box);
    const pending = { form, field, input, raw, touched: false, typed: [], submit: false, aborter: new AbortController() };
    editors.set(form, pending);
    field.replaceWith(form);
    input.focus();
    caretToEnd(input);
    loadEditor(pending, display.dataset.fieldEdit);
  }

  // Refusals the editor shows in place (no right to edit); anything else closes it.
  const INLINE_ERRORS = new Set([403, 409, 422]);

  async function loadEditor(pending, url) {
    let response;
    let html;
    try {
      response = await fetch(url, { headers: { "HX-Request": "true" }, signal: pending.aborter.signal });
      html = await response.text();
    } catch (error) {
      if (error.name !== "AbortError") failEditor(pending, "the connection failed");
      return;
    }
    if (!pending.form.isConnected) return;
    const template = document.createElement("template");
    template.innerHTML = html;
    const model = template.content.querySelector("form[data-field-editor]");
    if ((response.ok || INLINE_ERRORS.has(response.status)) && model) buildAround(pending, model);
    else failEditor(pending, response.redirected ? "you were signed out" : `the server answered ${response.status}`);
  }

  function failEditor(pending, why) {
    closeEditor(pending);
    window.showToast(`The editor could not be opened: ${why}. Reload the page and try again.`);
  }

  // Make the pending form the server's editor without moving its input (moving it would drop
  // the focus, the selection and, in a date input, a half-typed date).
  function buildAround(pending, model) {
    const { form, input } = pending;
    const modelInput = model.querySelector("[name=value]");
    const modelBox = modelInput.parentElement;
    const box = input.parentElement;
    // Never write over what was typed: even a half-typed date reads as "" until complete.
    const edited = pending.touched || (input.tagName !== "SELECT" && input.value !== pending.raw);
    copyAttributes(model, form, []);
    copyAttributes(modelBox, box, []);
    copyAttributes(modelInput, input, ["value", "autofocus"]);
    if (input.tagName === "SELECT") {
      const chosen = [...modelInput.options].find((option) => option.defaultSelected);
      input.replaceChildren(...modelInput.options);
      if (chosen) input.value = chosen.value;
    } else if (!edited) {
      input.value = modelInput.value;
    }
    surround(form, box, model, modelBox);
    surround(box, input, modelBox, modelInput);
    // What the person typed over is what they saw: a change made meanwhile is a conflict.
    if (edited) form.querySelector("[name=seen_value]").value = pending.raw;
    for (const key of pending.typed) typeAhead(input, key);
    editors.delete(form);
    window.htmx.process(form);
    if (pending.submit) form.requestSubmit();
  }

  function copyAttributes(from, to, except) {
    for (const { name } of [...to.attributes]) if (!from.hasAttribute(name) && !except.includes(name)) to.removeAttribute(name);
    for (const { name, value } of from.attributes) if (!except.includes(name)) to.setAttribute(name, value);
  }

  // Replace everything in `parent` but `kept` with `modelParent`'s children around `modelKept`.
  function surround(parent, kept, modelParent, modelKept) {
    for (const child of [...parent.childNodes]) if (child !== kept) child.remove();
    const children = [...modelParent.childNodes];
    const at = children.indexOf(modelKept);
    kept.before(...children.slice(0, at));
    kept.after(...children.slice(at + 1));
  }

  function closeEditor(pending) {
    pending.aborter.abort();
    editors.delete(pending.form);
    if (pending.form.isConnected) pending.form.replaceWith(pending.field);
    const display = pending.field.querySelector(".field-display");
    if (display) display.focus();
  }

  // A select's type-ahead is done here, not by the browser, so that keys typed before the
  // choices arrived and keys typed after them make one word ("Cus" finds Customer).
  function typeAhead(select, { key, at }) {
    const state = (select.typeAhead ||= { word: "", at: 0 });
    if (key === "ArrowDown" || key === "ArrowUp") {
      const step = key === "ArrowDown" ? 1 : -1;
      select.selectedIndex = Math.min(Math.max(select.selectedIndex + step, 0), select.options.length - 1);
      state.word = "";
      return;
    }
    state.word = at - state.at > TYPE_AHEAD_PAUSE ? key.toLowerCase() : state.word + key.toLowerCase();
    state.at = at;
    const match = [...select.options].find((option) => option.text.trim().toLowerCase().startsWith(state.word));
    if (match) select.value = match.value;
  }

  function isTyping(event) {
    return event.key.length === 1 && !event.ctrlKey && !event.metaKey && !event.altKey;
  }

  document.addEventListener("click", (event) => {
    const display = event.target.closest && event.target.closest(".field-display.is-editable");
    if (!display || event.defaultPrevented) return;
    event.preventDefault();
    openEditor(display);
  });

  document.addEventListener("keydown", (event) => {
    const display = event.target.closest && event.target.closest(".field-display.is-editable");
    if (display && event.target === display && (event.key === "Enter" || event.key === " ")) {
      event.preventDefault();
      openEditor(display);
      return;
    }
    const editor = event.target.closest && event.target.closest("form[data-field-editor]");
    if (!editor) return;
    const pending = editors.get(editor);
    if (pending) pending.touched = true;
    const select = event.target.matches("select") && event.target.name === "value";
    if (select && (isTyping(event) || (pending && /^Arrow(Up|Down)$/.test(event.key)))) {
      event.preventDefault();
      const key = { key: event.key, at: event.timeStamp };
      if (pending) pending.typed.push(key);
      else typeAhead(event.target, key);
    } else if (event.key === "Escape") {
      event.preventDefault();
      if (pending) return closeEditor(pending);
      const cancel = editor.querySelector("[data-field-cancel]");
      if (cancel) cancel.click();
    } else if (event.key === "Enter" && !event.shiftKey && (pending || event.target.matches("textarea, select"))) {
      event.preventDefault();
      if (pending) pending.submit = true;
      else editor.requestSubmit();
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

  // An editor redrawn by the server (a refused save) keeps the focus, the caret at the end;
  // a field shown again (saved, cancelled) takes it back, for the keyboard to go on from.
  document.addEventListener("htmx:afterSettle", (event) => {
    const swapped = event.detail.elt;
    if (!swapped.querySelector) return;
    const input = swapped.querySelector("form[data-field-editor] [name=value]");
    const display = swapped.querySelector(".field-display.is-editable");
    if (input) {
      input.focus();
      caretToEnd(input);
    } else if (display && document.activeElement === document.body) {
      display.focus();
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
