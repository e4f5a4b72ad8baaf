// The kanban board (templates/records/board.html) and the deal page's close dialog.
//
// - Drag and drop (SortableJS) or a card's "Move to…" menu POSTs stage +
//   position + the stage the card was drawn in (data-stage) to the card's
//   data-move-url. The answer is the live event's fragment (applied like the
//   socket's copy), or a 4xx with a readable reason: the card snaps back and a
//   toast says why. Dropping into Lost without a reason answers with the
//   reasons form, shown in a dialog; cancelling it puts the card back.
// - A move someone else's overtook answers 409 with the card as the server has
//   it and, in it, who moved it where: "Move anyway" moves it again from there,
//   "Keep theirs" closes the notice. The notice stays in the card while the card
//   is in that stage, even when live events redraw it.
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
  const conflicts = new Map(); // deal id -> its refused move's notice (.card-conflict)

  // --- Talking to the server ------------------------------------------------------

  // seen: the stage the mover saw the card in (the server refuses the move if
  // the deal has left it meanwhile).
  async function commit(card, origin, list, seen = card.dataset.stage) {
    const form = new URLSearchParams({ stage: list.dataset.stage, position: positionOf(card), seen_stage: seen });
    dismissConflict(card.dataset.deal);
    card.classList.add("is-saving");
    let response;
    try {
      response = await fetch(card.dataset.moveUrl, {
        method: "POST",
        headers: { "X-CSRFToken": window.csrfToken(), "HX-Request": "true", "HX-Target": "board" },
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
    } else if (response.status === 409 && response.headers.has("X-Live-Event")) {
      showConflict(card.dataset.deal, await response.text(), response.headers.get("X-Live-Event"));
    } else if (response.headers.get("X-Deal-Needs") === "loss-reason") {
      askLossReason(card, origin, await response.text());
    } else {
      snapBack(card, origin);
      toast((await response.text()) || "The card could not be moved.");
    }
  }

  function applyReply(html, eventId) {
    if (html && window.live) window.live.apply(html, Number(eventId));
    redrawn();
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

  // A card a live event redrew meanwhile is already where the server says: only
  // the element that was dragged (still on the page) goes back.
  function snapBack(card, origin) {
    if (!card.isConnected) return;
    card.remove();
    const cards = [...origin.from.querySelectorAll(":scope > .deal-card")];
    origin.from.insertBefore(card, cards[origin.index] || null);
  }

  // --- A move someone else's overtook ---------------------------------------------------

  // The answer is the deal's fragment as it is now, marked as drawn at the event
  // log's end (live.js then lets newer events redraw it and older ones, arriving
  // late, leave it alone), with the notice going into the card. Should a newer
  // event have moved the card on already, a toast says what happened instead.
  function showConflict(dealId, html, drawnAt) {
    applyReply(html, drawnAt);
    const box = document.getElementById(`deal-conflict-${dealId}`);
    if (box) conflicts.set(dealId, box);
    keepConflicts();
    if (conflicts.has(dealId)) box.scrollIntoView({ block: "nearest", inline: "nearest", behavior: "smooth" });
    else toast(noticeText(html) || "Someone moved this deal meanwhile.");
  }

  // A notice stays in its card while the card is in the stage it names, even
  // when a live event redraws the card; once the card moves on, it is old news.
  function keepConflicts() {
    for (const [dealId, box] of conflicts) {
      const card = document.getElementById(`deal-card-${dealId}`);
      if (!card || card.dataset.stage !== box.dataset.stage) dismissConflict(dealId);
      else if (box.parentElement !== card) card.append(box);
    }
  }

  function dismissConflict(dealId) {
    const box = conflicts.get(dealId) || document.getElementById(`deal-conflict-${dealId}`);
    if (box) box.remove();
    conflicts.delete(dealId);
  }

  function noticeText(html) {
    const template = document.createElement("template");
    template.innerHTML = html;
    const text = template.content.querySelector(".card-conflict p");
    return text && text.textContent.trim();
  }

  document.addEventListener("click", (event) => {
    const button = event.target.closest(".card-conflict button");
    const card = button && button.closest(".deal-card");
    if (!card) return;
    const box = button.closest(".card-conflict");
    dismissConflict(card.dataset.deal);
    if (button.hasAttribute("data-move-anyway")) moveTo(card, box.dataset.wanted, box.dataset.stage);
    else card.querySelector(".deal-card-title").focus();
  });

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
    redrawn();
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
        filter: ".deal-card-move, .card-conflict",
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
    const stage = select.value;
    select.value = "";
    if (card) moveTo(card, stage);
  });

  // Put a card on top of a stage's column and tell the server ("Move to…", "Move anyway").
  function moveTo(card, stage, seen) {
    const list = document.getElementById(`stage-cards-${stage}`);
    if (!list) return;
    const origin = { from: card.parentElement, index: [...card.parentElement.children].indexOf(card) };
    list.prepend(card);
    card.scrollIntoView({ block: "nearest", inline: "nearest", behavior: "smooth" });
    commit(card, origin, list, seen);
  }

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

  // After any redraw (a live event, a move's answer): notices back in their cards, then order.
  function redrawn() {
    keepConflicts();
    arrange();
  }

  document.addEventListener("live:event", redrawn);

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
