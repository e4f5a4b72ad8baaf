// The kanban board (templates/records/board.html) and the deal page's close dialog.
//
// - Drag and drop (SortableJS) or a card's "Move to…" menu POSTs stage +
//   position to the card's data-move-url. The answer is the live event's
//   fragment (applied like the socket's copy), or a 4xx with a readable
//   reason: the card snaps back and a toast says why. Dropping into Lost
//   without a reason answers with the reasons form, shown in a dialog;
//   cancelling it puts the card back.
// - Live events redraw cards anywhere on the board (records/fragments/board.py
//   appends them to their column); this script then puts every card at its
//   position and drops cards a filtered board does not show.
// No inline scripts or styles (CSP).
"use strict";

(function () {
  const toast = window.showToast; // app.js
  const dialogId = "lose-dialog";
  let pending = null; // the card waiting for a loss reason: {card, origin, closed}
  let dragging = false;

  // --- Talking to the server ------------------------------------------------------

  function csrfToken() {
    try {
      return JSON.parse(document.body.getAttribute("hx-headers") || "{}")["X-CSRFToken"] || "";
    } catch {
      return "";
    }
  }

  async function commit(card, origin, list) {
    const form = new URLSearchParams({ stage: list.dataset.stage, position: positionOf(card) });
    card.classList.add("is-saving");
    let response;
    try {
      response = await fetch(card.dataset.moveUrl, {
        method: "POST",
        headers: { "X-CSRFToken": csrfToken(), "HX-Request": "true" },
        body: form,
        credentials: "same-origin",
      });
    } catch {
      response = null;
    }
    card.classList.remove("is-saving");
    if (!response) {
      snapBack(card, origin);
      toast("The server could not be reached; the card is back where it was.");
    } else if (response.ok) {
      applyReply(await response.text(), response.headers.get("X-Live-Event"));
    } else if (response.headers.get("X-Deal-Needs") === "loss-reason") {
      askLossReason(card, origin, await response.text());
    } else {
      snapBack(card, origin);
      toast((await response.text()) || "The card could not be moved.");
    }
  }

  function applyReply(html, eventId) {
    if (html && window.live) window.live.apply(html, Number(eventId));
    arrange();
  }

  // Where a dropped card goes: just before its new next card (the newest of
  // equal positions comes first), or after the last one.
  function positionOf(card) {
    const next = sibling(card, "nextElementSibling");
    if (next) return Number(next.dataset.position);
    const previous = sibling(card, "previousElementSibling");
    return previous ? Number(previous.dataset.position) + 1 : 0;
  }

  function sibling(card, direction) {
    let el = card[direction];
    while (el && !el.classList.contains("deal-card")) el = el[direction];
    return el;
  }

  function snapBack(card, origin) {
    card.remove();
    const cards = [...origin.from.querySelectorAll(":scope > .deal-card")];
    origin.from.insertBefore(card, cards[origin.index] || null);
  }

  // --- Lost needs a reason ------------------------------------------------------------

  function askLossReason(card, origin, html) {
    const dialog = document.getElementById(dialogId);
    if (!dialog || !window.bootstrap) {
      snapBack(card, origin);
      toast("Open the deal to mark it as lost.");
      return;
    }
    pending = { card, origin, closed: false };
    const body = document.getElementById(`${dialogId}-body`);
    body.innerHTML = html;
    if (window.htmx) htmx.process(body);
    bootstrap.Modal.getOrCreateInstance(dialog).show();
  }

  // The dialog's form answered with the event (HX-Trigger: deal-closed).
  document.addEventListener("deal-closed", () => {
    if (pending) pending.closed = true;
    const dialog = document.getElementById(dialogId);
    if (dialog && window.bootstrap) bootstrap.Modal.getOrCreateInstance(dialog).hide();
    arrange();
  });

  document.addEventListener("hidden.bs.modal", (event) => {
    if (event.target.id !== dialogId) return;
    if (pending && !pending.closed) snapBack(pending.card, pending.origin);
    pending = null;
  });

  // --- Drag and drop, and "Move to…" -----------------------------------------------------

  function initBoard(root) {
    if (!window.Sortable) return;
    for (const list of root.querySelectorAll(".column-cards")) {
      if (Sortable.get(list)) continue;
      Sortable.create(list, {
        group: "deals",
        draggable: ".deal-card",
        filter: ".deal-card-move",
        preventOnFilter: false,
        animation: 150,
        delay: 200,
        delayOnTouchOnly: true,
        ghostClass: "is-ghost",
        chosenClass: "is-chosen",
        dragClass: "is-dragging",
        onStart: () => {
          dragging = true;
        },
        onEnd: (event) => {
          dragging = false;
          if (event.from === event.to && event.oldIndex === event.newIndex) return;
          commit(event.item, { from: event.from, index: event.oldIndex }, event.to);
        },
      });
    }
  }

  // A card's "Move to…" menu holds only its placeholder until it is about to
  // open (pointer down, touch or keyboard focus): then it gets the board's
  // stages from the one <template>, its own stage disabled. Cards redrawn by
  // live events need nothing more.
  function fillMoveMenu(event) {
    const select = event.target.closest && event.target.closest(".card-move-select");
    const list = select && select.closest(".column-cards");
    const stages = document.getElementById("board-move-options");
    if (!list || !stages || select.dataset.filledFor === list.dataset.stage) return;
    const options = stages.content.cloneNode(true);
    for (const option of options.querySelectorAll("option")) {
      option.disabled = option.value === list.dataset.stage;
    }
    select.replaceChildren(select.options[0], options);
    select.dataset.filledFor = list.dataset.stage;
  }

  for (const type of ["pointerdown", "touchstart", "focusin"]) {
    document.addEventListener(type, fillMoveMenu, { capture: true, passive: true });
  }

  document.addEventListener("change", (event) => {
    const select = event.target.closest(".card-move-select");
    if (!select || !select.value) return;
    const card = select.closest(".deal-card");
    const list = document.getElementById(`stage-cards-${select.value}`);
    select.value = "";
    if (!card || !list) return;
    const origin = { from: card.parentElement, index: [...card.parentElement.children].indexOf(card) };
    list.prepend(card);
    card.scrollIntoView({ block: "nearest", inline: "nearest", behavior: "smooth" });
    commit(card, origin, list);
  });

  // --- After live events: order, filter ----------------------------------------------------

  function arrange() {
    const board = document.getElementById("board");
    if (!board || dragging) return;
    const owner = board.dataset.ownerFilter;
    for (const list of board.querySelectorAll(".column-cards")) {
      const shown = [];
      for (const card of list.querySelectorAll(":scope > .deal-card")) {
        if (owner && card.dataset.owner !== owner) card.remove();
        else shown.push(card);
      }
      const sorted = [...shown].sort(
        (a, b) =>
          Number(a.dataset.position) - Number(b.dataset.position) ||
          Number(b.dataset.updated) - Number(a.dataset.updated) ||
          Number(a.dataset.deal) - Number(b.dataset.deal),
      );
      if (sorted.some((card, index) => card !== shown[index])) list.append(...sorted);
    }
  }

  document.addEventListener("live:event", arrange);

  // --- Messages ---------------------------------------------------------------------------

  // htmx requests refused with a reason (Won, a stage on the deal page): say why.
  document.addEventListener("htmx:responseError", (event) => {
    const xhr = event.detail.xhr;
    if ((xhr.getResponseHeader("Content-Type") || "").startsWith("text/plain")) toast(xhr.responseText);
  });

  // Buttons asking first (Delete deal).
  document.addEventListener("submit", (event) => {
    const question = event.submitter && event.submitter.dataset.confirm;
    if (question && !window.confirm(question)) event.preventDefault();
  });

  // --- Start --------------------------------------------------------------------------------

  initBoard(document);
  if (window.htmx) htmx.onLoad((el) => initBoard(el.parentElement || el));
})();
