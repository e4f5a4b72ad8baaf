// Chat in the browser: sending (optimistic, over the tab's socket with an HTTP
// fallback), ordering, typing, read marks, unread badges, threads, @/# suggestions.
//
// The server renders every message once for everyone (chat/message.html);
// what differs per viewer is done here: own reactions highlighted, unread
// counts and mention badges kept from the room events, "is typing…".
// No inline scripts or styles (CSP): state is shown with classes and attributes.
"use strict";

(function () {
  const body = document.body;
  const me = body.dataset.userId;
  if (!me) return;

  const TYPING_EVERY = 2000; // ms between two chat.typing frames from this tab
  const TYPING_SHOWN = 5000; // ms a "… is typing" stays without a new signal
  const READ_DELAY = 1000; // ms to gather read marks into one frame
  const SOCKET_WAIT = 8000; // ms for the socket's answer before posting over HTTP
  const GROUP_SECONDS = 300; // messages closer than this by one person share a header
  const NEAR_BOTTOM = 120; // px: a list scrolled this close to its end follows new messages

  const live = () =>
    window.live || { send: () => false, connected: () => false, apply() {}, resendSoon: () => null };

  const byRoom = (attr, room) => document.querySelectorAll(`[${attr}="${CSS.escape(String(room))}"]`);
  const roomPanes = (room) => [...byRoom("data-chat-room", room)].filter((el) => el.dataset.readUrl);
  const mainList = (room) => document.getElementById(`room-${room}-messages`);
  const articles = (list) => [...list.children].filter((el) => el.matches("article.chat-message"));

  // --- Order, grouping and per-viewer decoration ----------------------------------------

  // Messages stay in server order (data-seq) whatever order events arrive in
  // (a replay can deliver late); unconfirmed copies stay at the end.
  function place(article) {
    const list = article.parentElement;
    if (!list || article.dataset.pending !== undefined) return;
    const seq = Number(article.dataset.seq);
    const after = articles(list).find(
      (el) => el !== article && (el.dataset.pending !== undefined || Number(el.dataset.seq) > seq),
    );
    if (after && article.nextElementSibling !== after) list.insertBefore(article, after);
    else if (!after && list.lastElementChild !== article) list.append(article);
  }

  function regroup(list) {
    let previous = null;
    for (const el of list.children) {
      if (!el.matches("article.chat-message")) {
        previous = null; // a divider or a loader starts a new group
        continue;
      }
      const continued =
        previous &&
        el.dataset.author &&
        el.dataset.author === previous.dataset.author &&
        !el.classList.contains("is-system") &&
        !previous.classList.contains("is-system") &&
        Math.abs(Number(el.dataset.time) - Number(previous.dataset.time)) < GROUP_SECONDS;
      el.classList.toggle("is-continued", Boolean(continued));
      previous = el;
    }
  }

  function decorateReactions(root) {
    for (const reaction of root.querySelectorAll(".chat-reaction[data-users]")) {
      reaction.classList.toggle("is-mine", reaction.dataset.users.split(" ").includes(me));
    }
  }

  function decorate(root) {
    decorateReactions(root);
    for (const list of root.querySelectorAll("[data-chat-list]")) regroup(list);
    if (root.closest && root.closest("[data-chat-list]")) regroup(root.closest("[data-chat-list]"));
  }

  // --- Scrolling ---------------------------------------------------------------------------------

  const scrollerOf = (el) => el && el.closest("[data-chat-scroll]");
  const nearBottom = (scroller) => scroller.scrollHeight - scroller.scrollTop - scroller.clientHeight < NEAR_BOTTOM;
  const toBottom = (scroller) => scroller && (scroller.scrollTop = scroller.scrollHeight);

  // A room opens at the message jumped to, else at "new messages", else at the end.
  function openAt(pane) {
    const scroller = pane.querySelector("[data-chat-scroll]");
    if (!scroller) return;
    const wanted = new URLSearchParams(location.search).get("message");
    const focus = wanted && pane.querySelector(`#msg-${CSS.escape(wanted)}`);
    const divider = pane.querySelector(".chat-divider");
    if (focus && !pane.closest(".chat-panel-slot")) {
      focus.classList.add("is-focus");
      focus.scrollIntoView({ block: "center" });
    } else if (divider) {
      scroller.scrollTop = divider.offsetTop - scroller.offsetTop - 40;
    } else {
      toBottom(scroller);
    }
  }

  // --- Sending -----------------------------------------------------------------------------------

  const sends = new Map(); // client_id -> {room, body, parent, form, list, timer}

  function newClientId() {
    const random = crypto.getRandomValues(new Uint32Array(2));
    return `c-${Date.now().toString(36)}-${random[0].toString(36)}${random[1].toString(36)}`;
  }

  function pendingCopy(clientId, text) {
    const article = document.createElement("article");
    article.id = `pending-${clientId}`;
    article.className = "chat-message is-pending is-mine";
    article.dataset.author = me;
    article.dataset.pending = "";
    article.dataset.time = String(Math.floor(Date.now() / 1000));
    const avatar = document.createElement("div");
    avatar.className = "chat-avatar";
    const main = document.createElement("div");
    main.className = "chat-main";
    const textEl = document.createElement("div");
    textEl.className = "chat-body chat-pending-body";
    textEl.textContent = text;
    const status = document.createElement("div");
    status.className = "chat-pending-status";
    status.textContent = "Sending…";
    main.append(textEl, status);
    article.append(avatar, main);
    return article;
  }

  function submit(form) {
    const box = form.querySelector("[data-chat-input]");
    const text = box.value.trim();
    if (!text) return;
    const max = Number(box.getAttribute("maxlength")) || Infinity;
    if (text.length > max) return showError(form, `A message is limited to ${max.toLocaleString()} characters.`);
    const room = form.dataset.room;
    const parent = form.dataset.parent || null;
    const list = parent ? document.getElementById(`thread-${parent}-replies`) : mainList(room);
    const clientId = newClientId();
    const entry = { clientId, room, body: text, parent, form, list, timer: null };
    sends.set(clientId, entry);
    if (list) {
      list.append(pendingCopy(clientId, text));
      regroup(list);
      toBottom(scrollerOf(list));
    }
    box.value = "";
    showError(form, "");
    suggestions.close(box);
    transmit(entry);
  }

  function transmit(entry) {
    clearTimeout(entry.timer);
    entry.unsent = false;
    setStatus(entry, "Sending…", false);
    const frame = { action: "chat.send", room: Number(entry.room), body: entry.body, client_id: entry.clientId };
    if (entry.parent) frame.parent = Number(entry.parent);
    if (live().connected() && live().send(frame)) {
      // No answer in time (a dropped frame, a stalled socket): the same send over HTTP.
      entry.overSocket = true;
      entry.timer = setTimeout(() => sends.has(entry.clientId) && post(entry), SOCKET_WAIT);
    } else {
      post(entry);
    }
  }

  async function post(entry) {
    clearTimeout(entry.timer);
    entry.overSocket = false;
    const data = new FormData();
    data.set("body", entry.body);
    data.set("client_id", entry.clientId);
    if (entry.parent) data.set("parent", entry.parent);
    let response;
    try {
      response = await fetch(entry.form.action, {
        method: "POST",
        body: data,
        headers: { "X-CSRFToken": window.csrfToken(), "HX-Request": "true" },
        credentials: "same-origin",
      });
    } catch {
      return fail(entry, "Not sent: no connection. It will be sent when you are back.", "offline");
    }
    const text = await response.text();
    if (!response.ok) return fail(entry, text || "Not sent.", statusCode(response.status));
    live().apply(text, Number(response.headers.get("X-Live-Event")) || 0);
    confirmSent(entry.clientId, response.headers.get("X-Chat-Message"));
  }

  const statusCode = (status) => ({ 429: "rate_limited", 422: "invalid", 403: "forbidden", 404: "not_found" })[status] || "error";

  // The confirmed message is in the list (from the event or the HTTP answer): drop the copy.
  function confirmSent(clientId, messageId) {
    const entry = sends.get(clientId);
    if (!entry) return;
    clearTimeout(entry.timer);
    sends.delete(clientId);
    const copy = document.getElementById(`pending-${clientId}`);
    if (copy) copy.remove();
    const message = messageId && document.getElementById(`msg-${messageId}`);
    if (message) {
      place(message);
      regroup(message.parentElement);
      toBottom(scrollerOf(message));
    } else if (!entry.list) {
      // Sent from a window into history: the new message is at the end of the room.
      location.assign(entry.form.action.replace(/messages\/$/, ""));
    }
  }

  function fail(entry, reason, code) {
    clearTimeout(entry.timer);
    entry.overSocket = false;
    showError(entry.form, reason);
    const keep = code === "rate_limited" || code === "offline" || code === "error";
    // Lost on the way (not refused): sent again by itself once the socket is back.
    entry.unsent = code === "offline" || code === "error";
    if (keep) {
      if (entry.unsent) {
        entry.failures = (entry.failures || 0) + 1;
        entry.timer = live().resendSoon(() => transmit(entry), entry.failures);
      }
      return setStatus(entry, entry.unsent ? "Not sent — will send when you are back." : "Not sent.", true);
    }
    // Refused for good (too long, no right): give the text back to edit.
    sends.delete(entry.clientId);
    const copy = document.getElementById(`pending-${entry.clientId}`);
    if (copy) copy.remove();
    const box = entry.form.querySelector("[data-chat-input]");
    if (box && !box.value) box.value = entry.body;
  }

  function setStatus(entry, text, failed) {
    const copy = document.getElementById(`pending-${entry.clientId}`);
    if (!copy) return;
    copy.classList.toggle("is-failed", failed);
    const status = copy.querySelector(".chat-pending-status");
    status.textContent = text;
    if (failed) {
      const retry = document.createElement("button");
      retry.type = "button";
      retry.className = "chat-retry";
      retry.dataset.retry = entry.clientId;
      retry.textContent = "Retry";
      const drop = document.createElement("button");
      drop.type = "button";
      drop.className = "chat-retry";
      drop.dataset.discard = entry.clientId;
      drop.textContent = "Discard";
      status.append(retry, drop);
    }
  }

  function showError(form, text) {
    const slot = form && form.querySelector("[data-chat-error]");
    if (slot) slot.textContent = text;
  }

  document.addEventListener("submit", (event) => {
    const form = event.target.closest("form[data-chat-composer]");
    if (form) {
      event.preventDefault();
      submit(form);
      return;
    }
    const asking = event.submitter && event.submitter.dataset.confirm;
    if (asking && !window.confirm(asking)) event.preventDefault();
  });

  document.addEventListener("click", (event) => {
    const retry = event.target.closest("[data-retry]");
    if (retry && sends.has(retry.dataset.retry)) return transmit(sends.get(retry.dataset.retry));
    const discard = event.target.closest("[data-discard]");
    if (discard) {
      const entry = sends.get(discard.dataset.discard);
      sends.delete(discard.dataset.discard);
      const copy = document.getElementById(`pending-${discard.dataset.discard}`);
      if (copy) copy.remove();
      if (entry) showError(entry.form, "");
    }
  });

  // The socket's answers to chat.send.
  document.addEventListener("chat:sent", (event) => {
    const { client_id: clientId, message } = event.detail;
    const entry = sends.get(clientId);
    if (!entry) return;
    clearTimeout(entry.timer);
    entry.overSocket = false;
    if (document.getElementById(`msg-${message}`)) return confirmSent(clientId, message);
    // The event normally follows at once; a resend (created: false) publishes none.
    entry.timer = setTimeout(() => fetchSent(entry, message), event.detail.created ? 3000 : 0);
  });

  async function fetchSent(entry, message) {
    if (!sends.has(entry.clientId)) return;
    const url = entry.form.dataset.messageUrl.replace(/0\/$/, `${Number(message)}/`);
    const response = await fetch(url, { headers: { "HX-Request": "true" }, credentials: "same-origin" });
    const copy = document.getElementById(`pending-${entry.clientId}`);
    if (response.ok && copy && !document.getElementById(`msg-${message}`)) {
      copy.insertAdjacentHTML("beforebegin", await response.text());
      if (window.htmx) htmx.process(copy.previousElementSibling);
    }
    confirmSent(entry.clientId, message);
  }

  document.addEventListener("live:error", (event) => {
    const frame = event.detail;
    const entry = frame.client_id && sends.get(frame.client_id);
    if (entry) return fail(entry, frame.message, frame.code);
    if (frame.code === "rate_limited" || frame.code === "invalid") {
      const form = document.querySelector("form[data-chat-composer]");
      if (form) showError(form, frame.message);
    }
  });

  // A socket that closes with sends unanswered: they go over HTTP (same client_id).
  document.addEventListener("live:disconnected", () => {
    for (const entry of sends.values()) if (entry.overSocket) post(entry);
  });

  // Back online: what was not sent goes now, with its client_id (never doubled).
  document.addEventListener("live:connected", () => {
    for (const entry of sends.values()) if (entry.unsent) transmit(entry);
  });

  // --- Composer keys: Enter sends, Shift+Enter is a new line --------------------------------------

  document.addEventListener("keydown", (event) => {
    const box = event.target;
    if (!box.matches) return;
    if (box.matches("[data-chat-input]")) {
      if (suggestions.handleKey(event, box)) return;
      if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
        event.preventDefault();
        box.form.requestSubmit();
      }
    } else if (box.matches("[data-chat-edit]")) {
      if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
        event.preventDefault();
        box.form.requestSubmit();
      } else if (event.key === "Escape") {
        const cancel = box.form.querySelector("[data-edit-cancel]");
        if (cancel) cancel.click();
      }
    }
  });

  // --- Typing ------------------------------------------------------------------------------------

  const lastTyping = new Map(); // room -> when this tab last said it is typing

  document.addEventListener("input", (event) => {
    const box = event.target;
    if (!box.matches || !box.matches("[data-chat-input]")) return;
    suggestions.suggest(box);
    const room = box.form.dataset.room;
    const now = Date.now();
    if (box.value.trim() && now - (lastTyping.get(room) || 0) > TYPING_EVERY) {
      lastTyping.set(room, now);
      live().send({ action: "chat.typing", room: Number(room) });
    }
  });

  const typists = new Map(); // room -> Map(user id -> {name, timer})

  document.addEventListener("live:signal", (event) => {
    const { kind, topic, user } = event.detail;
    if (kind !== "chat.typing" || !user || String(user.id) === me) return;
    const room = topic.split(".")[1];
    const people = typists.get(room) || new Map();
    typists.set(room, people);
    const known = people.get(String(user.id));
    if (known) clearTimeout(known.timer);
    const timer = setTimeout(() => stopTyping(room, String(user.id)), TYPING_SHOWN);
    people.set(String(user.id), { name: user.name, timer });
    showTyping(room);
  });

  function stopTyping(room, userId) {
    const people = typists.get(room);
    if (!people || !people.has(userId)) return;
    clearTimeout(people.get(userId).timer);
    people.delete(userId);
    showTyping(room);
  }

  function showTyping(room) {
    const names = [...(typists.get(room) || new Map()).values()].map((person) => person.name.split(" ")[0]);
    let text = "";
    if (names.length === 1) text = `${names[0]} is typing…`;
    else if (names.length === 2) text = `${names[0]} and ${names[1]} are typing…`;
    else if (names.length > 2) text = "Several people are typing…";
    const slot = document.getElementById(`room-${room}-typing`);
    if (slot) slot.textContent = text;
  }

  // --- Read marks --------------------------------------------------------------------------------

  const highest = new Map(); // room -> highest seq this tab has shown
  const readTimers = new Map();

  function seen(room, seq) {
    if (seq > (highest.get(room) || 0)) highest.set(room, seq);
  }

  function scheduleRead(room) {
    if (document.hidden || !roomPanes(room).length) return;
    clearTimeout(readTimers.get(room));
    readTimers.set(room, setTimeout(() => sendRead(room), READ_DELAY));
  }

  function sendRead(room) {
    const pane = roomPanes(room)[0];
    if (!pane || document.hidden) return;
    const seq = highest.get(room) || 0;
    if (seq <= Number(pane.dataset.readSeq || 0)) return clearBadges(room);
    for (const el of roomPanes(room)) el.dataset.readSeq = String(seq);
    clearBadges(room);
    if (live().send({ action: "chat.read", room: Number(room), seq })) return;
    const data = new FormData();
    data.set("seq", String(seq));
    fetch(pane.dataset.readUrl, {
      method: "POST",
      body: data,
      headers: { "X-CSRFToken": window.csrfToken(), "HX-Request": "true" },
      credentials: "same-origin",
    }).catch(() => {});
  }

  document.addEventListener("visibilitychange", () => {
    if (!document.hidden) for (const room of highest.keys()) scheduleRead(room);
  });

  // --- Unread and mention badges ------------------------------------------------------------------

  // Replays re-send recent events (after a reconnect, or on a new page): a message
  // counts once, and only if it came after what the page was drawn with.
  const counted = new Map(); // room -> highest seq counted into the badges

  function countOnce(room, seq) {
    if (!counted.has(room)) {
      const drawn = [...byRoom("data-room", room)].map((el) => Number(el.dataset.lastSeq) || 0);
      counted.set(room, Math.max(0, ...drawn));
    }
    if (!(seq > counted.get(room))) return false;
    counted.set(room, seq);
    return true;
  }

  function bump(room, seq, mentioned) {
    if (!countOnce(room, seq)) return;
    for (const badge of byRoom("data-unread-for", room)) {
      const count = (Number(badge.textContent) || 0) + 1;
      badge.textContent = String(count);
      badge.setAttribute("aria-label", `${count} unread`);
      badge.hidden = false;
    }
    if (mentioned) {
      for (const badge of byRoom("data-mentions-for", room)) {
        const count = (Number(badge.dataset.count) || 0) + 1;
        badge.dataset.count = String(count);
        badge.setAttribute("aria-label", `${count} mentions`);
        badge.hidden = false;
      }
    }
    const entry = document.getElementById(`chat-room-${room}`);
    if (entry && entry.parentElement && entry.parentElement.firstElementChild !== entry) entry.parentElement.prepend(entry);
  }

  // A read mark clears the room's badges, unless they were drawn after it (a replay).
  function clearBadges(room, eventId = Infinity) {
    const stale = (badge) => Number(badge.dataset.liveId || 0) > eventId;
    for (const badge of byRoom("data-unread-for", room)) {
      if (stale(badge)) continue;
      badge.textContent = "0";
      badge.hidden = true;
    }
    for (const badge of byRoom("data-mentions-for", room)) {
      if (stale(badge)) continue;
      badge.dataset.count = "0";
      badge.hidden = true;
    }
  }

  // --- Live events ----------------------------------------------------------------------------

  document.addEventListener("live:event", (event) => {
    const frame = event.detail;
    const payload = frame.payload || {};
    if (!frame.kind || !frame.kind.startsWith("chat.")) return;
    if (frame.kind === "chat.message.posted") posted(payload);
    else if (frame.kind === "chat.read") {
      countOnce(String(payload.room), payload.seq);
      clearBadges(payload.room, frame.id);
    }
    else if (frame.kind === "chat.members") showPresence(`room.${payload.room}`);
    else if (frame.kind === "chat.room.added") markActive();
  });

  function posted(payload) {
    const room = String(payload.room);
    const mine = String(payload.author) === me;
    if (mine && payload.client_id && sends.has(payload.client_id)) {
      confirmSent(payload.client_id, payload.message);
    }
    if (payload.author) stopTyping(room, String(payload.author));
    const message = document.getElementById(`msg-${payload.message}`);
    if (message) {
      const scroller = scrollerOf(message);
      const follow = scroller && (mine || nearBottom(scroller) || scroller.scrollTop === 0);
      place(message);
      regroup(message.parentElement);
      if (follow) toBottom(scroller);
    }
    const shown = Boolean(mainList(room));
    if (shown) {
      seen(room, payload.seq);
      scheduleRead(room);
    }
    if ((!shown || document.hidden) && !mine && !payload.parent) {
      bump(room, payload.seq, (payload.mentions || []).map(String).includes(me));
    }
  }

  // --- Presence: dots on the members list ---------------------------------------------------------

  const presence = new Map(); // topic -> ids of the people there now

  document.addEventListener("live:presence", (event) => {
    presence.set(event.detail.topic, (event.detail.people || []).map((person) => String(person.id)));
    showPresence(event.detail.topic);
  });

  function showPresence(topic) {
    const here = presence.get(topic) || [];
    const list = document.getElementById(`room-${topic.split(".")[1]}-members`);
    if (!list) return;
    for (const member of list.querySelectorAll("[data-person]")) {
      member.classList.toggle("is-online", here.includes(member.dataset.person));
    }
  }

  // --- Threads ----------------------------------------------------------------------------------

  document.addEventListener("click", (event) => {
    const link = event.target.closest("a[data-thread]");
    const slot = document.getElementById("chat-thread");
    if (link && slot && window.htmx && !event.ctrlKey && !event.metaKey) {
      event.preventDefault();
      htmx.ajax("GET", link.dataset.thread, { target: slot, swap: "innerHTML" });
      history.replaceState(null, "", link.href);
      return;
    }
    const close = event.target.closest("[data-thread-close]");
    if (close && slot) {
      event.preventDefault();
      slot.replaceChildren();
      history.replaceState(null, "", close.href);
    }
    const copy = event.target.closest("a[data-copy-link]");
    if (copy && navigator.clipboard) {
      event.preventDefault();
      navigator.clipboard.writeText(new URL(copy.getAttribute("href"), location.href).href);
      toast("Link copied.");
    }
  });

  // --- @ people and departments, # clients ----------------------------------------------------------

  const TRIGGER = /(?:^|[^\w@#&])([@#])([^\s@#[\]]*(?: [^\s@#[\]]*)?)$/;

  // The menu itself: autocomplete.js.
  const suggestions = window.textAutocomplete({
    selector: "[data-chat-input]",
    find(before) {
      const match = TRIGGER.exec(before);
      return match && { sign: match[1], query: match[2], length: match[1].length + match[2].length };
    },
    async load(box, { sign, query }) {
      const kind = sign === "#" ? "&kind=clients" : "";
      const response = await fetch(`${box.dataset.suggest}?q=${encodeURIComponent(query)}${kind}`, {
        headers: { Accept: "application/json" },
        credentials: "same-origin",
      });
      if (!response.ok) return null;
      return (await response.json()).items.map((found) => ({ ...found, insert: `${sign}${found.insert}` }));
    },
    accepts: (event) => !event.shiftKey,
  });

  // --- Refusals of buttons (react, delete, log to timeline, members) ------------------------------

  document.addEventListener("htmx:beforeSwap", (event) => {
    const { xhr, requestConfig } = event.detail;
    const source = requestConfig && requestConfig.elt;
    if (!source || !source.closest || xhr.status < 400) return;
    if (source.closest(".chat-edit") && xhr.status === 422) {
      event.detail.shouldSwap = true; // the editor again, with the reason
      event.detail.isError = false;
    } else if (source.closest("[data-chat-room], .chat-members, #chat-thread")) {
      toast(xhr.status === 404 ? "That is no longer there." : xhr.responseText || "That did not work.");
    }
  });

  let toastTimer = null;
  function toast(text) {
    let el = document.querySelector(".chat-toast");
    if (!el) {
      el = document.createElement("div");
      el.className = "chat-toast";
      el.setAttribute("role", "alert");
      body.append(el);
    }
    el.textContent = text;
    el.hidden = false;
    clearTimeout(toastTimer);
    toastTimer = setTimeout(() => (el.hidden = true), 4000);
  }

  // --- Start: the page, and parts htmx loads later (sidebar, panel, thread, older pages) -----------

  function currentRoom() {
    const pane = document.querySelector(".chat-layout > [data-chat-room]");
    return pane ? pane.dataset.chatRoom : null;
  }

  function markActive() {
    const room = currentRoom();
    for (const entry of document.querySelectorAll(".chat-side-room")) {
      entry.classList.toggle("active", entry.dataset.room === room);
    }
  }

  function start(root) {
    decorate(root);
    if (root.matches && root.matches("#chat-room-list, .chat-side") || root.querySelector("#chat-room-list")) {
      markActive();
    }
    const panes = root.matches && root.matches("[data-chat-room][data-read-url]") ? [root] : [];
    panes.push(...root.querySelectorAll("[data-chat-room][data-read-url]"));
    for (const pane of panes) {
      const room = pane.dataset.chatRoom;
      for (const el of pane.querySelectorAll("article[data-seq]")) seen(room, Number(el.dataset.seq));
      openAt(pane);
      scheduleRead(room);
    }
    const thread = root.matches && root.matches(".chat-thread-panel") ? root : root.querySelector(".chat-thread-panel");
    if (thread) {
      toBottom(thread.querySelector("[data-chat-scroll]"));
      const box = thread.querySelector("[data-chat-input]");
      if (box && root !== body) box.focus();
    }
    for (const topic of presence.keys()) showPresence(topic);
  }

  if (window.htmx) htmx.onLoad((el) => el !== body && el.nodeType === 1 && start(el));
  start(body);

  // Messages and reactions are swapped in by several hands (live.js for the socket's
  // events and for htmx answers carrying one, htmx, the HTTP fallback above), in
  // either order: whatever lands is decorated for this viewer.
  new MutationObserver((changes) => {
    const lists = new Set();
    for (const change of changes) {
      for (const node of change.addedNodes) {
        if (node.nodeType !== 1) continue;
        if (node.matches(".chat-reactions, article.chat-message") || node.querySelector(".chat-reaction")) {
          decorateReactions(node);
        }
        const list = node.closest("[data-chat-list]");
        if (list) lists.add(list);
      }
    }
    lists.forEach(regroup);
  }).observe(body, { childList: true, subtree: true });
})();
