// The calendar page (templates/calendar_app/calendar.html): FullCalendar, fed by
// calendar:events_json for the people shown.
//
// - Times: the calendar is drawn in the viewer's profile zone (data-time-zone).
//   Without a zone plugin FullCalendar keeps a named zone's wall clock as the UTC
//   fields of its Date objects ("UTC-coercion"): the feed sends times with that
//   zone's offsets, "now" is that zone's wall clock, and what goes back to the
//   server (feed window, moves, new events) is wall-clock text without an offset
//   plus timeZone, read there in the same zone.
// - Drag and resize POST to the event's move URL; a repeating event asks which
//   occurrences; "busy" answers ask whether to double-book; refusals put the
//   event back and say why.
// - Live: a "calendar.changed" event on a shown person's topic re-reads the feed.
// - The panel (whose calendars) is a GET form; the URL keeps view and date.
// No inline scripts or styles (CSP).
"use strict";

(function () {
  const toast = window.showToast; // app.js
  const el = document.getElementById("calendar");
  if (!el || !window.FullCalendar) return;
  const config = el.dataset;
  const zone = config.timeZone;
  const phone = window.matchMedia("(max-width: 767.98px)").matches;
  const query = new URLSearchParams(location.search);
  const people = query.getAll("people").join(",");
  const shownTopics = new Set(
    (document.body.dataset.liveTopics || "").split(/\s+/).filter((topic) => topic.startsWith("calendar.")),
  );
  // The viewer's 12/24-hour habit (as live.js's times); compact "9:30a" / "09:30" in events.
  const hour12 = Boolean(new Intl.DateTimeFormat(undefined, { hour: "numeric" }).resolvedOptions().hour12);
  const slotFormat = { hour: "numeric", minute: "2-digit", hour12, meridiem: "short", omitZeroMinute: hour12 };
  const eventFormat = { hour: "numeric", minute: "2-digit", hour12, meridiem: "narrow", omitZeroMinute: hour12 };
  const HOUR = 3600 * 1000;

  // --- Wall-clock text (see the note on times) ------------------------------------------

  const wall = (date) => date.toISOString().slice(0, 19);
  const day = (date) => date.toISOString().slice(0, 10);

  function zonedNow() {
    const parts = {};
    const format = new Intl.DateTimeFormat("en-CA", {
      timeZone: zone,
      hourCycle: "h23",
      year: "numeric",
      month: "2-digit",
      day: "2-digit",
      hour: "2-digit",
      minute: "2-digit",
      second: "2-digit",
    });
    for (const part of format.formatToParts(new Date())) parts[part.type] = part.value;
    return `${parts.year}-${parts.month}-${parts.day}T${parts.hour}:${parts.minute}:${parts.second}`;
  }

  // --- Talking to the server -----------------------------------------------------------------

  function loadEvents(info, success, failure) {
    const params = new URLSearchParams({ start: wall(info.start), end: wall(info.end), timeZone: zone });
    if (people) params.set("people", people);
    if (query.get("dept")) params.set("dept", query.get("dept"));
    fetch(`${config.feedUrl}?${params}`, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(async (response) => {
        const data = await response.json();
        if (!response.ok) throw new Error(data.error || "The calendar could not be loaded.");
        success(data);
      })
      .catch((error) => {
        toast(error instanceof SyntaxError ? "The calendar could not be loaded." : error.message);
        failure(error);
      });
  }

  async function post(url, fields) {
    try {
      const response = await fetch(url, {
        method: "POST",
        headers: { "X-CSRFToken": window.csrfToken(), Accept: "application/json" },
        body: new URLSearchParams(fields),
        credentials: "same-origin",
      });
      const data = await response.json().catch(() => ({}));
      return { ok: response.ok, status: response.status, data };
    } catch {
      return { ok: false, status: 0, data: { error: "The server could not be reached; nothing was moved." } };
    }
  }

  // --- Drag and resize --------------------------------------------------------------------

  let moving = 0; // moves under way: live refreshes wait for them

  function span(event) {
    if (event.allDay) {
      const end = event.end || new Date(event.start.getTime() + 24 * HOUR);
      return { start: day(event.start), end: day(end), all_day: "1" };
    }
    const end = event.end || new Date(event.start.getTime() + HOUR);
    return { start: wall(event.start), end: wall(end), all_day: "0" };
  }

  async function move(info) {
    moving += 1;
    try {
      await send(info);
    } finally {
      moving -= 1;
      calendar.refetchEvents(); // the new sequence, and the rest of a moved series
    }
  }

  async function send(info) {
    const event = info.event;
    const props = event.extendedProps;
    let scope = "this";
    if (props.recurring) {
      scope = await ask("Move a repeating event", `“${event.title}” repeats. Which occurrences move?`, [
        ["this", "Only this"],
        ["following", "This and following"],
        ["all", "All"],
      ]);
      if (!scope) return info.revert();
    }
    const url = config.moveUrl.replace("/0/", `/${props.eventId}/`);
    const fields = { ...span(event), timeZone: zone, occurrence: props.recurrenceId || "", scope, sequence: props.sequence };
    let answer = await post(url, fields);
    if (answer.status === 409 && answer.data.reason === "double_booked") {
      const names = (answer.data.people || []).map((person) => person.name);
      const verb = names.length === 1 ? "is" : "are";
      const go = await ask("Double-booking", `${names.join(", ")} ${verb} busy then. Move anyway?`, [
        ["force", "Move anyway"],
      ]);
      if (!go) return info.revert();
      answer = await post(url, { ...fields, force: "1" });
    }
    if (!answer.ok) {
      info.revert();
      toast(answer.data.error || "The event could not be moved.");
    }
  }

  // --- A small question dialog -------------------------------------------------------------

  // Resolves to the chosen value, or null when closed without a choice.
  function ask(title, text, choices) {
    const dialog = document.getElementById("calendar-ask");
    if (!dialog || !window.bootstrap) return Promise.resolve(null);
    document.getElementById("calendar-ask-title").textContent = title;
    document.getElementById("calendar-ask-body").textContent = text;
    const footer = document.getElementById("calendar-ask-choices");
    const cancel = document.createElement("button");
    cancel.type = "button";
    cancel.className = "btn btn-light";
    cancel.dataset.bsDismiss = "modal";
    cancel.textContent = "Cancel";
    footer.replaceChildren(cancel);
    const modal = bootstrap.Modal.getOrCreateInstance(dialog);
    return new Promise((resolve) => {
      let chosen = null;
      for (const [value, label] of choices) {
        const button = document.createElement("button");
        button.type = "button";
        button.className = "btn btn-primary";
        button.textContent = label;
        button.addEventListener("click", () => {
          chosen = value;
          modal.hide();
        });
        footer.append(button);
      }
      dialog.addEventListener("hidden.bs.modal", () => resolve(chosen), { once: true });
      modal.show();
    });
  }

  // --- New events from an empty slot ----------------------------------------------------

  function newEvent(info) {
    if (!config.newUrl) return;
    let params;
    if (info.allDay) {
      params = { start: day(info.start), end: day(info.end), all_day: "1" };
    } else {
      // A click picks one slot; a meeting is an hour unless a longer span was dragged.
      const end = info.end - info.start > 30 * 60 * 1000 ? info.end : new Date(info.start.getTime() + HOUR);
      params = { start: wall(info.start), end: wall(end) };
    }
    location.assign(`${config.newUrl}?${new URLSearchParams(params)}`);
  }

  // --- The view and date stay in the URL ---------------------------------------------------

  function remember() {
    const view = calendar.view.type;
    if (calendar.getOption("height") !== heightFor(view)) calendar.setOption("height", heightFor(view));
    const date = day(calendar.getDate());
    const url = new URL(location.href);
    url.searchParams.set("view", view);
    url.searchParams.set("date", date);
    history.replaceState(history.state, "", url);
    const form = document.getElementById("calendar-choice");
    if (form) {
      form.elements.view.value = view;
      form.elements.date.value = date;
    }
  }

  // The panel: changes apply at once, with people as one "people=1,5" parameter.
  function choose(form) {
    const url = new URL(form.action, location.href);
    const chosen = [...form.querySelectorAll('input[name="people"]:checked')].map((box) => box.value);
    if (chosen.length) url.searchParams.set("people", chosen.join(","));
    for (const name of ["dept", "view", "date"]) {
      if (form.elements[name].value) url.searchParams.set(name, form.elements[name].value);
    }
    location.assign(url);
  }

  document.addEventListener("change", (event) => {
    const form = event.target.closest("#calendar-choice");
    if (form && event.target.name) choose(form);
  });
  document.addEventListener("submit", (event) => {
    if (event.target.id !== "calendar-choice") return;
    event.preventDefault();
    choose(event.target);
  });
  document.addEventListener("input", (event) => {
    const list = event.target.dataset.calendarFilter && document.getElementById(event.target.dataset.calendarFilter);
    if (!list) return;
    const words = event.target.value.trim().toLowerCase().split(/\s+/);
    for (const item of list.children) {
      item.classList.toggle("d-none", !words.every((word) => item.dataset.name.includes(word)));
    }
  });

  // --- The calendar ------------------------------------------------------------------------

  const views = "dayGridMonth,timeGridWeek,timeGridDay,listWeek";
  const initialView = config.view || (phone ? "listWeek" : "timeGridWeek");

  // A fixed height scrolls the hours (from working time); a phone's month and agenda
  // grow with the page instead.
  function heightFor(view) {
    if (phone && !view.startsWith("timeGrid")) return "auto";
    return Math.max(phone ? 480 : 560, window.innerHeight - (phone ? 160 : 200));
  }
  const calendar = new FullCalendar.Calendar(el, {
    themeSystem: "bootstrap5",
    timeZone: zone,
    now: zonedNow,
    initialView,
    initialDate: config.date || undefined,
    headerToolbar: phone
      ? { left: "title", right: "prev,next today" }
      : { left: "prev,next today", center: "title", right: views },
    footerToolbar: phone ? { center: "timeGridDay,listWeek,dayGridMonth" } : false,
    buttonText: { today: "Today", dayGridMonth: "Month", timeGridWeek: "Week", timeGridDay: "Day", listWeek: "Agenda" },
    views: {
      timeGridWeek: { displayEventEnd: false },
      dayGridMonth: { titleFormat: { year: "numeric", month: phone ? "short" : "long" }, displayEventTime: !phone },
    },
    titleFormat: phone ? { month: "short", day: "numeric" } : undefined,
    firstDay: 1,
    height: heightFor(initialView),
    nowIndicator: true,
    eventMinHeight: 20,
    dayMaxEvents: true,
    scrollTime: `${String(Math.max(0, Number(config.workStart.slice(0, 2)) - 1)).padStart(2, "0")}:00:00`,
    businessHours: {
      daysOfWeek: config.workDays.split(" ").filter(Boolean).map(Number),
      startTime: config.workStart,
      endTime: config.workEnd,
    },
    eventTimeFormat: eventFormat,
    slotLabelFormat: slotFormat,
    forceEventDuration: true,
    editable: true,
    selectable: Boolean(config.newUrl),
    selectMirror: true,
    events: loadEvents,
    select: newEvent,
    eventDrop: move,
    eventResize: move,
    datesSet: remember,
    eventDidMount: (info) => {
      const place = info.event.extendedProps.location;
      info.el.title = place ? `${info.event.title} · ${place}` : info.event.title;
      if (info.event.classNames.includes("is-busy")) info.el.title = "Busy (a private event)";
    },
  });
  calendar.render();
  // Choices apply at once (see choose), so the panel's button is only for pages without script.
  document.querySelector(".calendar-apply")?.classList.add("d-none");

  // --- Live -----------------------------------------------------------------------------------

  let refetchTimer = null;
  function refetchSoon() {
    clearTimeout(refetchTimer);
    refetchTimer = setTimeout(() => (moving ? refetchSoon() : calendar.refetchEvents()), 150);
  }

  document.addEventListener("live:event", (event) => {
    const frame = event.detail;
    if (frame.kind === "calendar.changed" && shownTopics.has(frame.topic)) refetchSoon();
  });

  // Too long offline for a replay: re-reading the feed is all a calendar needs (no reload).
  document.addEventListener("live:resync", (event) => {
    if (!shownTopics.has(event.detail.topic)) return;
    event.preventDefault();
    refetchSoon();
  });
})();
