// Record pages (clients, deals, tickets): click-to-edit keys, comment composer,
// @mention suggestions, presence without oneself. No inline scripts (CSP).
"use strict";

(function () {
  const me = document.body.dataset.userId;

  // --- Refusals are answers too --------------------------------------------------
  // A conflict (409), invalid input (422) or a refusal with its reason (403)
  // comes back as the editor or form to show in place; htmx swaps only 2xx.
  const INLINE_ERRORS = new Set([403, 409, 422]);
  document.addEventListener("htmx:beforeSwap", (event) => {
    const { xhr, requestConfig } = event.detail;
    const source = requestConfig && requestConfig.elt;
    if (!INLINE_ERRORS.has(xhr.status) || !source || !source.closest) return;
    if (source.closest(".field, .comment-thread, .log-form")) {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    }
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
    if (menuFor(box) && handleMenuKey(event, box)) return;
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
    suggest(box);
  });

  // --- @mention suggestions ---------------------------------------------------------------
  const MENTION = /(?:^|[^\w@])@([\w.'-]*(?: [\w.'-]*)?)$/;
  let pending = null;

  function menuFor(box) {
    const menu = box.parentElement.querySelector(".mention-menu");
    return menu && !menu.hidden ? menu : null;
  }

  function closeMenu(box) {
    const menu = box.parentElement.querySelector(".mention-menu");
    if (menu) menu.hidden = true;
  }

  function suggest(box) {
    const before = box.value.slice(0, box.selectionStart);
    const match = MENTION.exec(before);
    clearTimeout(pending);
    if (!match) return closeMenu(box);
    const query = match[1];
    pending = setTimeout(async () => {
      const response = await fetch(`${box.dataset.mentions}?q=${encodeURIComponent(query)}`, {
        headers: { Accept: "application/json" },
      });
      if (!response.ok) return closeMenu(box);
      const { people } = await response.json();
      showMenu(box, people, query);
    }, 120);
  }

  function showMenu(box, people, query) {
    let menu = box.parentElement.querySelector(".mention-menu");
    if (!menu) {
      menu = document.createElement("ul");
      menu.className = "mention-menu";
      menu.setAttribute("role", "listbox");
      box.parentElement.append(menu);
      menu.addEventListener("mousedown", (event) => {
        const item = event.target.closest("li[data-name]");
        if (!item) return;
        event.preventDefault();
        pick(box, item.dataset.name);
      });
    }
    if (!people.length) return closeMenu(box);
    menu.replaceChildren(
      ...people.map((person, index) => {
        const item = document.createElement("li");
        item.setAttribute("role", "option");
        item.dataset.name = person.name;
        item.dataset.query = query;
        item.classList.toggle("active", index === 0);
        const badge = document.createElement("span");
        badge.className = `avatar avatar-xs avatar-c${Number(person.colour) % 8}`;
        badge.textContent = person.initials;
        const name = document.createElement("strong");
        name.textContent = person.name;
        const email = document.createElement("small");
        email.textContent = person.email;
        item.append(badge, name, email);
        return item;
      }),
    );
    menu.hidden = false;
  }

  function handleMenuKey(event, box) {
    const menu = menuFor(box);
    const items = [...menu.children];
    const current = items.findIndex((item) => item.classList.contains("active"));
    if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      event.preventDefault();
      const next = (current + (event.key === "ArrowDown" ? 1 : items.length - 1)) % items.length;
      items.forEach((item, index) => item.classList.toggle("active", index === next));
      return true;
    }
    if ((event.key === "Enter" || event.key === "Tab") && current >= 0 && !event.ctrlKey && !event.metaKey) {
      event.preventDefault();
      pick(box, items[current].dataset.name);
      return true;
    }
    if (event.key === "Escape") {
      event.preventDefault();
      closeMenu(box);
      return true;
    }
    return false;
  }

  function pick(box, name) {
    const caret = box.selectionStart;
    const before = box.value.slice(0, caret);
    const match = MENTION.exec(before);
    if (!match) return closeMenu(box);
    const start = caret - match[1].length;
    box.value = `${box.value.slice(0, start)}${name} ${box.value.slice(caret)}`;
    const end = start + name.length + 1;
    box.setSelectionRange(end, end);
    box.focus();
    closeMenu(box);
  }

  document.addEventListener("focusout", (event) => {
    if (event.target.matches && event.target.matches("textarea[data-mentions]")) {
      setTimeout(() => closeMenu(event.target), 150);
    }
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
