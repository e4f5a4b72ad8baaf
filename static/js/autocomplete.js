// A suggestion menu for a textarea (@mentions in comments, @/# in the chat composer):
// it opens under the box while the text before the caret matches, arrows move through
// it, Enter/Tab or a click insert the choice at the caret, Escape or leaving the box
// closes it. Plain script (no bundling, no inline scripts: CSP); records.js and chat.js
// each make one with window.textAutocomplete({...}).
"use strict";

(function () {
  // options:
  //   selector  the boxes it serves (the menu closes when one of them loses focus)
  //   find(before)  the text before the caret -> null, or { query, length, ... }: what to
  //                 ask for, and how many characters before the caret a choice replaces
  //   load(box, found)  -> a promise of the suggestions (null: none to show), each
  //                 { insert, label, detail, initials, colour }; insert is put in with a space
  //   accepts(event)  whether this Enter or Tab takes the active suggestion
  // Returns { suggest(box), handleKey(event, box), close(box) }: call suggest on input,
  // and handleKey first on keydown (true: the key was the menu's).
  window.textAutocomplete = function ({ selector, find, load, accepts }) {
    let timer = null;

    function menuOf(box) {
      return box.parentElement.querySelector(".mention-menu");
    }

    function close(box) {
      const menu = box && menuOf(box);
      if (menu) menu.hidden = true;
    }

    function suggest(box) {
      const found = find(box.value.slice(0, box.selectionStart));
      clearTimeout(timer);
      if (!found) return close(box);
      timer = setTimeout(async () => {
        const items = await load(box, found);
        if (!items) return close(box);
        show(box, items);
      }, 120);
    }

    function show(box, items) {
      let menu = menuOf(box);
      if (!menu) {
        menu = document.createElement("ul");
        menu.className = "mention-menu";
        menu.setAttribute("role", "listbox");
        box.parentElement.append(menu);
        menu.addEventListener("mousedown", (event) => {
          const item = event.target.closest("li[data-insert]");
          if (!item) return;
          event.preventDefault();
          pick(box, item);
        });
      }
      if (!items.length) return close(box);
      menu.replaceChildren(
        ...items.map((found, index) => {
          const item = document.createElement("li");
          item.setAttribute("role", "option");
          item.dataset.insert = found.insert;
          item.classList.toggle("active", index === 0);
          const badge = document.createElement("span");
          badge.className = `avatar avatar-xs avatar-c${Number(found.colour) % 8}`;
          badge.textContent = found.initials;
          const label = document.createElement("strong");
          label.textContent = found.label;
          const detail = document.createElement("small");
          detail.textContent = found.detail || "";
          item.append(badge, label, detail);
          return item;
        }),
      );
      menu.hidden = false;
    }

    function handleKey(event, box) {
      const menu = menuOf(box);
      if (!menu || menu.hidden) return false;
      const items = [...menu.children];
      const current = items.findIndex((item) => item.classList.contains("active"));
      if (event.key === "ArrowDown" || event.key === "ArrowUp") {
        event.preventDefault();
        const next = (current + (event.key === "ArrowDown" ? 1 : items.length - 1)) % items.length;
        items.forEach((item, index) => item.classList.toggle("active", index === next));
        return true;
      }
      if ((event.key === "Enter" || event.key === "Tab") && current >= 0 && accepts(event)) {
        event.preventDefault();
        pick(box, items[current]);
        return true;
      }
      if (event.key === "Escape") {
        event.preventDefault();
        close(box);
        return true;
      }
      return false;
    }

    function pick(box, item) {
      const caret = box.selectionStart;
      const found = find(box.value.slice(0, caret));
      if (!found) return close(box);
      const start = caret - found.length;
      const text = `${item.dataset.insert} `;
      box.value = box.value.slice(0, start) + text + box.value.slice(caret);
      box.setSelectionRange(start + text.length, start + text.length);
      box.focus();
      close(box);
    }

    document.addEventListener("focusout", (event) => {
      if (event.target.matches && event.target.matches(selector)) {
        setTimeout(() => close(event.target), 150);
      }
    });

    return { suggest, handleKey, close };
  };
})();
