// The browser end of the live bus (workspace/live): one WebSocket per tab.
//
// - Subscribes to the topics the page declares (<body data-live-topics>, and
//   any element with data-live-topic), starting from the event id the page was
//   rendered at (<body data-live-since>), so nothing committed while the page
//   loaded is missed; the server replays what a tab missed after a reconnect.
// - Applies each event's HTML as out-of-band swaps by element id, using htmx's
//   hx-swap-oob vocabulary, then lets htmx process the new elements.
// - Reconnects with jittered backoff, capped low while the tab is visible (so it is
//   back within about 2 s of its server), and at once when the browser comes back
//   online or the tab becomes visible. While visible it pings every few seconds and
//   takes a socket that answers nothing within a few seconds as dead, so an offline
//   or half-open tab says so instead of looking live. The state shows in a slim bar
//   under the top bar (offline, reconnecting, account deactivated, signed out).
// - A topic refused "unavailable" (Redis down for a moment) is asked for again with
//   backoff. A topic the person lost access to ("live.revoked", or refused on a
//   resubscribe) is dropped, and what showed it says "You no longer have access".
// - Each event is applied once per tab, even if a replay sends it again.
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
//   the same client_id, so a retry never duplicates), or after live.resendSoon()'s
//   backoff when the failure came once the socket was already back. Stale frames (typing,
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
  const granted = new Set(); // topics the server has let this tab follow
  const applied = new Map(); // topic -> recent event ids dispatched (oldest first)
  const APPLIED_KEPT = 256;
  const topicRetries = new Map(); // topic -> {tries, timer}: resubscribes after "unavailable"
  let socket = null;
  let subscribedOnce = false; // this socket had an answer to its subscribe: it is live
  let attempts = 0;
  let retryTimer = null;
  let pingTimer = null;
  let deadTimer = null;
  let stopped = null; // why this tab stopped for good: "signed-out" or "deactivated"

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
    if (socket || stopped) return;
    const scheme = location.protocol === "https:" ? "wss" : "ws";
    const ws = new WebSocket(`${scheme}://${location.host}/ws/`);
    socket = ws;
    subscribedOnce = false;
    deadTimer = setTimeout(() => giveUp(ws), CONNECT_WAIT); // a handshake lost on the way
    ws.addEventListener("open", () => {
      if (ws !== socket) return;
      ws.opened = true;
      subscribe([...lastIds.keys()]);
      heard();
      // After the subscriptions: the server takes a tab's frames in order.
      document.dispatchEvent(new CustomEvent("live:connected"));
    });
    ws.addEventListener("message", (message) => {
      if (ws !== socket) return;
      heard();
      receive(JSON.parse(message.data));
    });
    ws.addEventListener("close", (event) => ws === socket && lost(ws, event.code));
  }

  const TOO_LARGE = 1009; // the server closed the socket on a frame over its size limit
  const SIGNED_OUT = 4401; // signed out (or the session expired): retrying cannot help
  const DEACTIVATED = 4403; // the account was deactivated
  const SILENT = 4999; // (this tab's own) the socket answered nothing: taken as dead
  const CONNECT_WAIT = 5000; // ms for a new socket to open

  function giveUp(ws) {
    if (ws !== socket) return;
    lost(ws, SILENT);
    ws.close();
  }

  // The socket closed (or was found dead): say so, and try again unless it cannot help.
  function lost(ws, code) {
    socket = null;
    clearTimeout(pingTimer);
    clearTimeout(deadTimer);
    for (const retry of topicRetries.values()) clearTimeout(retry.timer);
    topicRetries.clear(); // the next socket subscribes to every topic anyway
    if (ws.opened) document.dispatchEvent(new CustomEvent("live:disconnected", { detail: { code } }));
    if (code === SIGNED_OUT) return stop("signed-out");
    if (code === DEACTIVATED) return stop("deactivated");
    if (code === TOO_LARGE && window.showToast) {
      window.showToast("That was too large to send (the limit is 1 MB), so it was not sent.");
    }
    showState();
    // 4008: this tab fell behind and was cut off; 1009: it sent too much. It replays at once.
    const quick = code === 4008 || code === TOO_LARGE;
    retryTimer = setTimeout(connect, quick ? jitter(250) : jitter(backoff(attempts++)));
  }

  function stop(why) {
    stopped = why;
    showState();
  }

  // A retry's wait: doubling from 250 ms, at most 1.5 s while the person looks at the
  // tab (it is back within ~2 s of its server) and 30 s while it is hidden.
  function backoff(tries) {
    return Math.min(document.hidden ? 30000 : 1500, 250 * 2 ** tries);
  }

  // Between half and all of ``ms``: tabs cut off together do not come back together.
  function jitter(ms) {
    return ms / 2 + Math.random() * (ms / 2);
  }

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

  // A connection can die silently (offline, sleeping laptop, dropped NAT): when
  // nothing came for a while, ping; if not even the pong comes back, the socket is
  // dead: this tab says so and reconnects (not waiting for the browser's own close,
  // which can take a minute on a dead network).
  const PING_AFTER = { visible: 5000, hidden: 30000 }; // ms of quiet before a ping
  const PONG_WAIT = { visible: 3000, hidden: 10000 }; // ms for any answer to it

  const now = (times) => (document.hidden ? times.hidden : times.visible);

  function heard() {
    clearTimeout(deadTimer);
    clearTimeout(pingTimer);
    pingTimer = setTimeout(ping, now(PING_AFTER));
  }

  function ping() {
    clearTimeout(pingTimer);
    if (!send({ action: "ping" })) return;
    clearTimeout(deadTimer);
    deadTimer = setTimeout(giveUp, now(PONG_WAIT), socket);
  }

  function receive(frame) {
    switch (frame.type) {
      case "live.subscribed":
        attempts = 0;
        subscribedOnce = true;
        granted.add(frame.topic);
        clearTimeout((topicRetries.get(frame.topic) || {}).timer);
        topicRetries.delete(frame.topic);
        showState();
        break;
      case "live.event":
        if (!firstSighting(frame.topic, frame.id)) return; // a replay's second copy
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
      case "live.revoked":
        revoke(frame.topic);
        break;
      case "live.error":
        // Refused on a resubscribe: access was lost while this tab was away.
        if (frame.code === "forbidden" && granted.has(frame.topic)) revoke(frame.topic);
        else if (frame.code === "forbidden") lastIds.delete(frame.topic);
        else if (frame.code === "unavailable" && frame.topic) retryLater(frame.topic);
        console.warn("live:", frame.code, frame.topic || "", frame.message);
        break;
    }
    // Other scripts (chat, boards) can listen: document.addEventListener("live:event", …).
    document.dispatchEvent(new CustomEvent(frame.type.replace(".", ":"), { detail: frame }));
  }

  // The server sends an event once per socket, but a new socket's replay may send
  // again what the last one already gave (it starts from the highest id seen, and
  // ids do not always commit in order).
  function firstSighting(topic, eventId) {
    const ids = applied.get(topic) || new Set();
    applied.set(topic, ids);
    if (ids.has(eventId)) return false;
    ids.add(eventId);
    if (ids.size > APPLIED_KEPT) ids.delete(ids.values().next().value);
    return true;
  }

  // A topic refused "unavailable" (the server could not follow it just then): ask
  // again with backoff, once at a time per topic.
  function retryLater(topic) {
    if (!lastIds.has(topic) || (topicRetries.get(topic) || {}).timer) return;
    const tries = (topicRetries.get(topic) || { tries: 0 }).tries;
    const retry = { tries: tries + 1, timer: null };
    retry.timer = setTimeout(() => {
      retry.timer = null;
      if (lastIds.has(topic)) subscribe([topic]);
    }, jitter(backoff(tries + 1)));
    topicRetries.set(topic, retry);
  }

  // --- Access lost -------------------------------------------------------------------

  // The person may no longer see ``topic``: forget it (it is not asked for again) and
  // put a notice where it showed: in place of the page's content when it is the
  // page's own topic, else in place of each region following it (an entry in a
  // list, data-live-revoke="remove", simply goes).
  function revoke(topic) {
    lastIds.delete(topic);
    here.delete(topic);
    granted.delete(topic);
    applied.delete(topic);
    clearTimeout((topicRetries.get(topic) || {}).timer);
    topicRetries.delete(topic);
    const main = document.getElementById("main");
    if (main && (body.dataset.liveTopics || "").split(/\s+/).includes(topic)) {
      main.replaceChildren(noAccessNotice());
      return;
    }
    for (const el of document.querySelectorAll("[data-live-topic]")) {
      if (el.dataset.liveTopic !== topic) continue;
      if (el.dataset.liveRevoke === "remove") el.remove();
      else el.replaceWith(noAccessNotice());
    }
  }

  function noAccessNotice() {
    const notice = document.createElement("section");
    notice.className = "live-revoked";
    notice.setAttribute("role", "alert");
    const icon = document.createElement("i");
    icon.className = "bi bi-lock";
    icon.setAttribute("aria-hidden", "true");
    const title = document.createElement("h2");
    title.textContent = "You no longer have access to this.";
    const text = document.createElement("p");
    text.textContent = "Your access changed while this page was open, so it is no longer shown.";
    const links = document.createElement("p");
    const home = document.createElement("a");
    home.className = "btn btn-primary btn-sm";
    home.href = "/";
    home.textContent = "Go to the home page";
    const reload = document.createElement("a");
    reload.className = "btn btn-light btn-sm";
    reload.href = location.pathname + location.search;
    reload.textContent = "Reload this page";
    links.append(home, " ", reload);
    notice.append(icon, title, text, links);
    return notice;
  }

  // --- The state bar -------------------------------------------------------------------

  // One state at a time, as a body class (live-online, live-offline, live-reconnecting,
  // live-deactivated, live-signed-out) and the words in the bar (role=status).
  const STATES = {
    online: "",
    offline: "Offline — changes will be sent when you are back.",
    reconnecting: "Reconnecting…",
    deactivated: "Your account was deactivated. Live updates have stopped.",
    "signed-out": "You were signed out. Reload the page to sign in again.",
  };

  function currentState() {
    if (stopped) return stopped;
    if (navigator.onLine === false) return "offline";
    return connected() && subscribedOnce ? "online" : "reconnecting";
  }

  function showState() {
    const state = currentState();
    for (const name of Object.keys(STATES)) body.classList.toggle(`live-${name}`, name === state);
    if (status.textContent !== STATES[state]) status.textContent = STATES[state];
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

  // Under the top bar, in the flow of the page: it pushes the content down a little
  // rather than covering any of it (the sidebar's name, a button), desktop or phone.
  const status = document.createElement("div");
  status.className = "live-status";
  status.setAttribute("role", "status");
  const topbar = document.querySelector(".app-main > .topbar");
  if (topbar) topbar.after(status);
  else body.prepend(status);

  declare(body);
  decorate(body);
  if (window.htmx) htmx.onLoad((el) => el !== body && decorate(el));
  setInterval(() => document.querySelectorAll('time[data-localize="relative"]').forEach(localize), 60000);
  // A tab coming back (from sleep, offline, background) reconnects at once, or checks
  // at once that its socket still answers. Going offline shows at once, and the
  // socket is checked now rather than at the next ping.
  const wake = () => {
    showState();
    if (document.hidden) return;
    attempts = 0;
    if (socket && socket.opened) ping();
    else if (!socket) connect();
  };
  window.addEventListener("online", wake);
  window.addEventListener("offline", () => {
    showState();
    if (socket && socket.opened) ping();
  });
  document.addEventListener("visibilitychange", wake);
  // A fragment that came live was rendered once for every viewer, outside any request,
  // so its posting forms have no CSRF token: they get the page's on submit (the one htmx
  // sends, on <body hx-headers>).
  function fillToken(form) {
    if (form.method !== "post" || form.querySelector("input[name=csrfmiddlewaretoken]")) return;
    let token = "";
    try {
      token = JSON.parse(document.body.getAttribute("hx-headers"))["X-CSRFToken"] || "";
    } catch (error) {
      return; /* no page token: the server refuses the post and says why */
    }
    const field = document.createElement("input");
    Object.assign(field, { type: "hidden", name: "csrfmiddlewaretoken", value: token });
    form.append(field);
  }
  document.addEventListener("submit", (event) => fillToken(event.target));
  // A write lost on its way (offline, a restart, a balancer that found no server) is
  // sent again by its page on "live:connected". One whose failure lands after the
  // socket is already back (its request outlived the outage) would wait for the next
  // reconnect, perhaps forever: it is tried again after a backoff instead. ``tries``:
  // its failures so far. Returns the timer, or null when "live:connected" will do.
  function resendSoon(resend, tries) {
    return connected() ? setTimeout(resend, jitter(Math.min(30000, 1000 * 2 ** tries))) : null;
  }
  window.live = { send, connected, apply, resendSoon };
  showState();
  connect();
})();
