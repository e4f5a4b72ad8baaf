// The browser end of the live bus (workspace/live): one WebSocket per tab.
//
// - Subscribes to the topics the page declares (<body data-live-topics>, and
//   any element with data-live-topic), starting from the event id the page was
//   rendered at (<body data-live-since>), so nothing committed while the page
//   loaded is missed; the server replays what a tab missed after a reconnect.
// - Applies each event's HTML as out-of-band swaps by element id, using htmx's
//   hx-swap-oob vocabulary, then lets htmx process the new elements.
// - Reconnects with exponential backoff and jitter; shows "Reconnecting…".
// - Does per viewer what the server's one rendering cannot: local times
//   (<time datetime data-localize>) and own-item controls (data-author).
// - Lets page scripts use the socket (chat): every frame is dispatched as a
//   DOM event named after its type ("live.signal" -> "live:signal", "chat.sent"
//   -> "chat:sent"; detail = the frame), "live:connected"/"live:disconnected"
//   mark the socket opening and closing, and window.live.send(frame) sends an
//   action. Frames are NOT queued while disconnected: send() returns false and
//   the frame is dropped, and live.connected() says whether a send can go now.
//   A page whose action must not be lost (chat.send) keeps it until answered,
//   and either posts it over HTTP or sends it again on "live:connected" (with
//   the same client_id, so a retry never duplicates). Stale frames (typing,
//   read marks) are better dropped than replayed late, hence no queue here.
// No inline scripts or styles (CSP): state is shown with CSS classes.
"use strict";

(function () {
  const body = document.body;
  const me = body.dataset.userId;
  if (!me || !("WebSocket" in window)) return;

  const lastIds = new Map(); // topic -> last event id seen (null: replay nothing)
  const since = Number.parseInt(body.dataset.liveSince, 10);
  const here = new Set(); // topics this tab shows presence for
  let socket = null;
  let attempts = 0;
  let retryTimer = null;
  let pingTimer = null;
  let signedOut = false;

  // --- Topics the page declares -------------------------------------------------

  function declare(root) {
    const added = [];
    const add = (topic) => {
      if (topic && !lastIds.has(topic)) {
        lastIds.set(topic, Number.isNaN(since) ? null : since);
        added.push(topic);
      }
    };
    if (root === body) (body.dataset.liveTopics || "").split(/\s+/).forEach(add);
    for (const el of root.querySelectorAll("[data-live-topic], [data-live-presence]")) {
      add(el.dataset.liveTopic || el.dataset.livePresence);
      if (el.dataset.livePresence) here.add(el.dataset.livePresence);
    }
    return added;
  }

  // --- The socket -----------------------------------------------------------------

  function connect() {
    clearTimeout(retryTimer);
    if (socket || signedOut) return;
    const scheme = location.protocol === "https:" ? "wss" : "ws";
    socket = new WebSocket(`${scheme}://${location.host}/ws/`);
    let opened = false;
    socket.addEventListener("open", () => {
      opened = true;
      subscribe([...lastIds.keys()]);
      keepAlive();
      // After the subscriptions: the server takes a tab's frames in order.
      document.dispatchEvent(new CustomEvent("live:connected"));
    });
    socket.addEventListener("message", (message) => {
      keepAlive();
      receive(JSON.parse(message.data));
    });
    socket.addEventListener("close", (event) => {
      socket = null;
      clearTimeout(pingTimer);
      body.classList.remove("live-online");
      if (opened) document.dispatchEvent(new CustomEvent("live:disconnected", { detail: { code: event.code } }));
      if (event.code === 4401) {
        // Signed out (or the session expired): retrying cannot help.
        signedOut = true;
        body.classList.add("live-signed-out");
        return;
      }
      if (event.code === TOO_LARGE && window.showToast) {
        window.showToast("That was too large to send (the limit is 1 MB), so it was not sent.");
      }
      body.classList.add("live-reconnecting");
      // 4008: this tab fell behind and was cut off; 1009: it sent too much. It replays at once.
      const quick = event.code === 4008 || event.code === TOO_LARGE;
      const base = quick ? 250 : Math.min(30000, 500 * 2 ** attempts);
      attempts += 1;
      retryTimer = setTimeout(connect, base / 2 + Math.random() * (base / 2));
    });
  }

  const TOO_LARGE = 1009; // the server closed the socket on a frame over its size limit

  function connected() {
    return Boolean(socket && socket.readyState === WebSocket.OPEN);
  }

  // Send an action frame now; false (and nothing sent) while disconnected.
  function send(frame) {
    if (!connected()) return false;
    socket.send(JSON.stringify(frame));
    return true;
  }

  function subscribe(topics) {
    if (!topics.length) return;
    // Each topic with the last id seen: the server sends what came after it.
    send({ action: "subscribe", topics: Object.fromEntries(topics.map((t) => [t, lastIds.get(t)])) });
    for (const topic of topics) if (here.has(topic)) send({ action: "here", topic });
  }

  // A connection can die silently (sleeping laptop, dropped NAT): ping when
  // quiet, and reconnect if not even the pong comes back.
  function keepAlive() {
    clearTimeout(pingTimer);
    pingTimer = setTimeout(() => {
      send({ action: "ping" });
      pingTimer = setTimeout(() => socket && socket.close(), 10000);
    }, 30000);
  }

  function receive(frame) {
    switch (frame.type) {
      case "live.subscribed":
        attempts = 0;
        body.classList.remove("live-reconnecting");
        body.classList.add("live-online");
        break;
      case "live.event":
        if (lastIds.has(frame.topic)) lastIds.set(frame.topic, Math.max(lastIds.get(frame.topic) || 0, frame.id));
        if (frame.html) apply(frame.html, frame.id);
        break;
      case "live.resync":
        lastIds.set(frame.topic, frame.id);
        resync(frame.topic);
        break;
      case "live.presence":
        showPresence(frame.topic, frame.people);
        break;
      case "live.error":
        if (frame.code === "forbidden") lastIds.delete(frame.topic);
        console.warn("live:", frame.code, frame.topic || "", frame.message);
        break;
    }
    // Other scripts (chat, boards) can listen: document.addEventListener("live:event", …).
    document.dispatchEvent(new CustomEvent(frame.type.replace(".", ":"), { detail: frame }));
  }

  // --- Applying fragments -----------------------------------------------------------

  // Swap every top-level element carrying hx-swap-oob. "true"/"outerHTML"
  // replaces the element with the same id; "afterbegin:#list" (or beforeend,
  // beforebegin, afterend) inserts the element's children there -- or replaces
  // one already present with the same id, so applying an event twice (replay
  // overlap, htmx response and socket) changes nothing. An element last drawn
  // by a newer event (data-live-id) is left alone. Targets not on this page
  // are skipped quietly. An event that would redraw an element whose own htmx
  // request is still running waits for its answer (see whenIdle).
  function apply(html, eventId, force = false) {
    const template = document.createElement("template");
    template.innerHTML = html;
    const swaps = [];
    for (const el of [...template.content.children]) {
      const spec = el.getAttribute("hx-swap-oob");
      if (spec === null) continue;
      el.removeAttribute("hx-swap-oob");
      const colon = spec.indexOf(":");
      const style = colon < 0 ? spec : spec.slice(0, colon);
      swaps.push({ el, style: style === "true" || style === "" ? "outerHTML" : style, selector: colon < 0 ? null : spec.slice(colon + 1) });
    }
    const busy = force ? [] : swaps.map(targetOf).filter(Boolean).map(requestIn).filter(Boolean);
    if (busy.length) return whenIdle(busy, (late) => apply(html, eventId, late));
    for (const swap of swaps) {
      const target = targetOf(swap); // found after the swaps before it (a card just redrawn)
      if (target) swapInto(target, swap.el, swap.style, eventId);
    }
  }

  function targetOf({ el, selector }) {
    return selector ? document.querySelector(selector) : el.id && document.getElementById(el.id);
  }

  function swapInto(target, el, style, eventId) {
    if (style === "outerHTML") {
      replace(target, el, eventId);
    } else if (style === "innerHTML") {
      if (isNewer(target, eventId)) {
        target.replaceChildren(...el.childNodes);
        settle(target, eventId);
      }
    } else if (style === "delete") {
      if (isNewer(target, eventId)) target.remove();
    } else {
      const children = [...el.children];
      if (style === "afterbegin" || style === "afterend") children.reverse();
      for (const child of children) {
        const existing = child.id && document.getElementById(child.id);
        if (existing) {
          replace(existing, child, eventId);
        } else {
          target.insertAdjacentElement(style, child);
          settle(child, eventId);
        }
      }
    }
  }

  // The writer's own request (an Accept button in a card, a task's tick) may still be
  // running when the socket's copy of its event comes to redraw the element it is in:
  // redrawn now, the button would answer from outside the page, where htmx can no
  // longer hand its answer to apply() (events of a removed element reach no listener)
  // and swaps its fragment itself, tripping on every target it lacks. So the whole
  // event waits for that answer (at most REQUEST_WAIT), keeping its swaps in order;
  // the answer is applied first, and the socket's copy then changes nothing.
  const REQUEST_WAIT = 5000;

  function requestIn(target) {
    return target.matches(".htmx-request") ? target : target.querySelector(".htmx-request");
  }

  function whenIdle(busy, then) {
    let waiting = busy.length;
    let done = false;
    const go = (late) => {
      if (done) return;
      done = true;
      then(late);
    };
    for (const el of busy) el.addEventListener("htmx:afterRequest", () => --waiting || go(false), { once: true });
    setTimeout(() => go(true), REQUEST_WAIT);
  }

  function isNewer(target, eventId) {
    return !(Number(target.dataset.liveId || 0) > eventId);
  }

  function replace(existing, el, eventId) {
    if (!isNewer(existing, eventId)) return;
    existing.replaceWith(el);
    settle(el, eventId);
  }

  function settle(el, eventId) {
    if (eventId) el.dataset.liveId = eventId;
    if (window.htmx) htmx.process(el); // its hx-* attributes work; htmx.onLoad decorates
    decorate(el);
    redirectIfAsked(el);
  }

  // An event can send the tab elsewhere (e.g. "this client was merged into X"):
  // a swapped-in element with data-live-redirect="/same/origin/path" shows its
  // message for a moment, then the tab goes there.
  function redirectIfAsked(el) {
    const url = el.dataset.liveRedirect;
    if (!url || !url.startsWith("/") || url.startsWith("//")) return;
    setTimeout(() => location.assign(url), 1500);
  }

  // htmx responses that carry a live event's fragment (X-Live-Event) go
  // through the same apply(), so they and the socket's copy agree. (Such
  // requests target body with hx-swap="none": the socket's copy may already
  // have replaced the element that sent the request.)
  document.addEventListener("htmx:beforeSwap", (event) => {
    const id = event.detail.xhr && event.detail.xhr.getResponseHeader("X-Live-Event");
    if (!id) return;
    apply(event.detail.serverResponse, Number(id));
    event.detail.shouldSwap = false;
  });

  // Too far behind for a replay: re-fetch each region showing the topic.
  function resync(topic) {
    // A page that re-reads the topic's data itself (the calendar) cancels "live:resync".
    const asked = new CustomEvent("live:resync", { detail: { topic }, cancelable: true });
    if (!document.dispatchEvent(asked)) return;
    const regions = [...document.querySelectorAll("[data-live-resync][id]")].filter(
      (el) => el.dataset.liveTopic === topic,
    );
    if (!regions.length) return location.reload();
    for (const el of regions) {
      htmx.ajax("GET", el.dataset.liveResync, { target: el, select: `#${el.id}`, swap: "outerHTML" });
    }
  }

  function showPresence(topic, people) {
    for (const el of document.querySelectorAll("[data-live-presence]")) {
      if (el.dataset.livePresence !== topic) continue;
      el.replaceChildren(
        ...people.map((person) => {
          const badge = document.createElement("span");
          badge.className = `avatar avatar-sm avatar-c${Number(person.colour) % 8}`;
          badge.title = person.name;
          badge.textContent = person.initials;
          return badge;
        }),
      );
    }
  }

  // --- Per viewer: local times and own items ---------------------------------------

  const formats = {
    datetime: new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" }),
    date: new Intl.DateTimeFormat(undefined, { dateStyle: "medium" }),
    time: new Intl.DateTimeFormat(undefined, { timeStyle: "short" }),
  };
  const relative = new Intl.RelativeTimeFormat(undefined, { numeric: "auto" });

  function localize(el) {
    const when = new Date(el.getAttribute("datetime"));
    if (Number.isNaN(when.getTime())) return;
    const style = el.dataset.localize || "datetime";
    el.title = formats.datetime.format(when);
    if (style !== "relative") {
      el.textContent = (formats[style] || formats.datetime).format(when);
      return;
    }
    const minutes = Math.round((when - Date.now()) / 60000);
    if (Math.abs(minutes) < 1) el.textContent = "just now";
    else if (Math.abs(minutes) < 60) el.textContent = relative.format(minutes, "minute");
    else if (Math.abs(minutes) < 24 * 60) el.textContent = relative.format(Math.round(minutes / 60), "hour");
    else if (Math.abs(minutes) < 7 * 24 * 60) el.textContent = relative.format(Math.round(minutes / 1440), "day");
    else el.textContent = formats.datetime.format(when);
  }

  function decorate(root) {
    const all = (selector) => [...(root.matches(selector) ? [root] : []), ...root.querySelectorAll(selector)];
    all("time[datetime][data-localize]").forEach(localize);
    // Controls inside .own-only show only on the viewer's own items (see live.css).
    for (const el of all("[data-author]")) el.classList.toggle("is-mine", el.dataset.author === me);
    if (socket && root !== body) subscribe(declare(root));
  }

  // --- Start ---------------------------------------------------------------------------

  const status = document.createElement("div");
  status.className = "live-status";
  status.setAttribute("role", "status");
  status.textContent = "Reconnecting…";
  body.append(status);

  declare(body);
  decorate(body);
  if (window.htmx) htmx.onLoad((el) => el !== body && decorate(el));
  setInterval(() => document.querySelectorAll('time[data-localize="relative"]').forEach(localize), 60000);
  // A tab coming back (from sleep, offline, background) reconnects at once.
  const wake = () => {
    if (!socket && !document.hidden) {
      attempts = 0;
      connect();
    }
  };
  window.addEventListener("online", wake);
  document.addEventListener("visibilitychange", wake);
  window.live = { send, connected, apply };
  connect();
})();
