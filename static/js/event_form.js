// The event form and the event page (templates/calendar_app/event_form.html, event_detail.html).
// No inline scripts (CSP): behaviour hangs on data attributes.
//
// Form: the all-day switch hides the times; the repeat builder shows the parts of the option
// picked, rewords "Monthly on day 9" and marks the implied weekday as the start date changes;
// moving the start keeps the length; the hidden start, end and duration for the slot finder
// follow the fields (and tell it with a "change"); a slot's button fills in the time; the
// colleagues multi-select becomes a searchable picker with chips.
// Page: the RSVP buttons follow the viewer's answer as live events redraw the people list;
// a change by the organizer shows "changed, reload" (parts of the page are not live).
"use strict";

(function () {
  const me = document.body.dataset.userId;

  // --- Wall-clock dates and times (strings in the event's zone, no time zone maths) ------

  const pad = (n) => String(n).padStart(2, "0");
  // "2026-12-01" + "09:30" -> minutes since the epoch, read as UTC (so no DST gaps).
  function toMinutes(day, clock) {
    const [y, m, d] = day.split("-").map(Number);
    const [h, min] = (clock || "00:00").split(":").map(Number);
    if (!y || !m || !d || Number.isNaN(h) || Number.isNaN(min)) return null;
    return Date.UTC(y, m - 1, d, h, min) / 60000;
  }
  function fromMinutes(minutes) {
    const when = new Date(minutes * 60000);
    return {
      day: `${when.getUTCFullYear()}-${pad(when.getUTCMonth() + 1)}-${pad(when.getUTCDate())}`,
      clock: `${pad(when.getUTCHours())}:${pad(when.getUTCMinutes())}`,
      weekday: when.getUTCDay(),
      date: when.getUTCDate(),
    };
  }

  // --- The form ---------------------------------------------------------------------------

  const CODES = ["SU", "MO", "TU", "WE", "TH", "FR", "SA"];
  const ORDINALS = { 1: "first", 2: "second", 3: "third", 4: "fourth", "-1": "last" };
  const UNITS = { daily: "days", weekly: "weeks", monthly_day: "months", monthly_weekday: "months", yearly: "years" };
  const DAY_NAMES = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"];
  const MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"];

  function setUpForm(form) {
    const field = (name) => form.elements.namedItem(name);
    const startDate = field("start_date");
    const startTime = field("start_time");
    const endDate = field("end_date");
    const endTime = field("end_time");
    const allDay = field("all_day");
    const repeat = field("repeat");
    const repeatBox = form.querySelector(".event-repeat");
    const slotField = (name) => document.querySelector(`[data-slot-field="${name}"]`);

    const startAt = () => toMinutes(startDate.value, allDay.checked ? "00:00" : startTime.value);
    const endAt = () => toMinutes(endDate.value || startDate.value, allDay.checked ? "00:00" : endTime.value);
    let lastStart = startAt();

    // Moving the start moves the end with it: the length stays.
    function startMoved() {
      const now = startAt();
      const end = endAt();
      if (lastStart !== null && now !== null && end !== null) {
        const moved = fromMinutes(end + (now - lastStart));
        endDate.value = moved.day;
        if (!allDay.checked) endTime.value = moved.clock;
      }
      lastStart = now;
      rewordRepeat();
      showImpliedWeekday();
      updateSlotQuery();
    }

    // With no day ticked, a weekly event repeats on the day it starts: show that day so.
    function showImpliedWeekday() {
      const boxes = [...form.querySelectorAll("[data-weekday]")];
      const start = startAt();
      const implied = !boxes.some((box) => box.checked) && start !== null ? CODES[fromMinutes(start).weekday] : null;
      for (const box of boxes) box.closest("label").classList.toggle("is-implied", box.value === implied);
    }

    function rewordRepeat() {
      const start = startAt();
      if (start === null) return;
      const day = fromMinutes(start);
      const nth = Math.floor((day.date - 1) / 7) + 1;
      const labels = {
        monthly_day: `Monthly on day ${day.date}`,
        monthly_weekday: `Monthly on the ${ORDINALS[nth === 5 ? -1 : nth]} ${DAY_NAMES[day.weekday]}`,
        yearly: `Yearly on ${day.date} ${MONTHS[Number(day.day.slice(5, 7)) - 1]}`,
      };
      for (const option of repeat.options) if (labels[option.value]) option.textContent = labels[option.value];
    }

    function showRepeat() {
      repeatBox.dataset.repeat = repeat.value;
      const unit = form.querySelector("[data-repeat-unit]");
      if (unit && UNITS[repeat.value]) unit.textContent = UNITS[repeat.value];
    }

    // The slot finder's query: the chosen start and end (wall clock) and the length.
    function updateSlotQuery() {
      const start = startAt();
      const end = endAt();
      const timed = !allDay.checked && start !== null && end !== null && end > start;
      const values = {
        start: timed ? `${fromMinutes(start).day}T${fromMinutes(start).clock}` : "",
        end: timed ? `${fromMinutes(end).day}T${fromMinutes(end).clock}` : "",
        duration: timed ? String(Math.min(end - start, 1440)) : "",
      };
      for (const [name, value] of Object.entries(values)) {
        const input = slotField(name);
        if (!input || input.value === value) continue;
        input.value = value;
        input.dispatchEvent(new Event("change", { bubbles: true }));
      }
    }

    // A slot's button (the slot finder's fragment): its times, in the event's zone.
    document.addEventListener("click", (event) => {
      const button = event.target.closest("[data-slot-start]");
      if (!button) return;
      event.preventDefault();
      const [startDay, startClock] = button.dataset.slotStart.slice(0, 16).split("T");
      const [endDay, endClock] = (button.dataset.slotEnd || "").slice(0, 16).split("T");
      if (!startDay || !startClock || !endDay || !endClock) return;
      allDay.checked = false;
      form.classList.remove("is-all-day");
      startDate.value = startDay;
      startTime.value = startClock;
      endDate.value = endDay;
      endTime.value = endClock;
      lastStart = startAt();
      rewordRepeat();
      showImpliedWeekday();
      updateSlotQuery();
      startTime.focus();
    });

    startDate.addEventListener("change", startMoved);
    startTime.addEventListener("change", startMoved);
    endDate.addEventListener("change", updateSlotQuery);
    endTime.addEventListener("change", updateSlotQuery);
    allDay.addEventListener("change", () => {
      form.classList.toggle("is-all-day", allDay.checked);
      lastStart = startAt();
      updateSlotQuery();
    });
    repeat.addEventListener("change", showRepeat);
    // Changing one occurrence keeps the series' repeat rule: its fields step aside.
    for (const radio of form.querySelectorAll('input[name="scope"]')) {
      radio.addEventListener("change", () => (form.dataset.scope = radio.value));
    }
    for (const box of form.querySelectorAll("[data-weekday]")) box.addEventListener("change", showImpliedWeekday);
    // Typing a last day or a number of times picks that ending.
    for (const name of ["until", "count"]) {
      const input = field(name);
      if (!input) continue;
      input.addEventListener("focus", () => {
        const radio = form.querySelector(`input[name="ends"][value="${name}"]`);
        if (radio) radio.checked = true;
      });
    }
    showRepeat();
    rewordRepeat();
    showImpliedWeekday();
    updateSlotQuery();
  }

  // --- The colleagues picker ----------------------------------------------------------------

  function avatar(option, size) {
    const badge = document.createElement("span");
    badge.className = `avatar avatar-${size} avatar-c${Number(option.dataset.colour) % 8}`;
    badge.setAttribute("aria-hidden", "true");
    badge.textContent = option.dataset.initials || "";
    return badge;
  }

  function setUpPicker(select) {
    const picker = document.createElement("div");
    picker.className = "people-picker";
    const chips = document.createElement("ul");
    chips.className = "people-chips";
    chips.setAttribute("aria-label", "Invited");
    const search = document.createElement("input");
    search.type = "search";
    search.className = "form-control";
    search.placeholder = "Add a colleague…";
    search.autocomplete = "off";
    search.setAttribute("role", "combobox");
    search.setAttribute("aria-expanded", "false");
    search.setAttribute("aria-label", "Add a colleague");
    const menu = document.createElement("ul");
    menu.className = "people-menu";
    menu.id = `${select.id}-menu`;
    menu.setAttribute("role", "listbox");
    menu.hidden = true;
    search.setAttribute("aria-controls", menu.id);
    picker.append(chips, search, menu);
    select.hidden = true;
    select.after(picker);
    const label = document.querySelector(`label[for="${select.id}"]`);
    if (label) {
      search.id = `${select.id}-search`;
      label.htmlFor = search.id;
    }

    function changed() {
      drawChips();
      select.dispatchEvent(new Event("change", { bubbles: true }));
    }

    function drawChips() {
      chips.replaceChildren(
        ...[...select.selectedOptions].map((option) => {
          const chip = document.createElement("li");
          chip.className = "people-chip";
          const name = document.createElement("span");
          name.className = "people-chip-name";
          name.textContent = option.textContent;
          const remove = document.createElement("button");
          remove.type = "button";
          remove.setAttribute("aria-label", `Remove ${option.textContent}`);
          remove.textContent = "×";
          remove.addEventListener("click", () => {
            option.selected = false;
            changed();
            search.focus();
          });
          chip.append(avatar(option, "xs"), name, remove);
          return chip;
        }),
      );
    }

    function matches() {
      const words = search.value.trim().toLowerCase().split(/\s+/).filter(Boolean);
      return [...select.options]
        .filter((option) => !option.selected)
        .filter((option) => {
          const text = `${option.textContent} ${option.dataset.detail || ""}`.toLowerCase();
          return words.every((word) => text.includes(word));
        })
        .slice(0, 30);
    }

    function openMenu() {
      const found = matches();
      const items = found.map((option, index) => {
        const item = document.createElement("li");
        item.setAttribute("role", "option");
        item.dataset.value = option.value;
        item.id = `${menu.id}-${option.value}`;
        item.classList.toggle("active", index === 0);
        const name = document.createElement("span");
        name.textContent = option.textContent;
        const detail = document.createElement("small");
        detail.textContent = option.dataset.detail || "";
        item.append(avatar(option, "xs"), name, detail);
        return item;
      });
      if (!items.length) {
        const empty = document.createElement("li");
        empty.className = "people-menu-empty";
        empty.textContent = search.value.trim() ? "Nobody matches." : "Everyone is invited.";
        items.push(empty);
      }
      menu.replaceChildren(...items);
      menu.hidden = false;
      search.setAttribute("aria-expanded", "true");
      markActive(menu.querySelector("li.active"));
    }

    function closeMenu() {
      menu.hidden = true;
      search.setAttribute("aria-expanded", "false");
      search.removeAttribute("aria-activedescendant");
    }

    function markActive(item) {
      for (const other of menu.querySelectorAll("li.active")) other.classList.remove("active");
      if (!item) return search.removeAttribute("aria-activedescendant");
      item.classList.add("active");
      search.setAttribute("aria-activedescendant", item.id);
      item.scrollIntoView({ block: "nearest" });
    }

    function pick(item) {
      const option = item && select.querySelector(`option[value="${item.dataset.value}"]`);
      if (!option) return;
      option.selected = true;
      search.value = "";
      changed();
      openMenu();
    }

    search.addEventListener("input", openMenu);
    search.addEventListener("focus", openMenu);
    search.addEventListener("blur", () => setTimeout(closeMenu, 150));
    search.addEventListener("keydown", (event) => {
      const items = [...menu.querySelectorAll("li[data-value]")];
      const current = items.findIndex((item) => item.classList.contains("active"));
      if (event.key === "ArrowDown" || event.key === "ArrowUp") {
        event.preventDefault();
        if (menu.hidden) return openMenu();
        const step = event.key === "ArrowDown" ? 1 : -1;
        markActive(items[(current + step + items.length) % items.length]);
      } else if (event.key === "Enter") {
        // Enter picks a colleague; it never submits the form from here.
        event.preventDefault();
        if (!menu.hidden) pick(items[current]);
      } else if (event.key === "Escape") {
        closeMenu();
      } else if (event.key === "Backspace" && !search.value && select.selectedOptions.length) {
        select.selectedOptions[select.selectedOptions.length - 1].selected = false;
        changed();
      }
    });
    menu.addEventListener("mousedown", (event) => {
      const item = event.target.closest("li[data-value]");
      if (!item) return;
      event.preventDefault();
      pick(item);
    });
    drawChips();
  }

  // --- The event page -----------------------------------------------------------------------

  // The RSVP buttons show the answer the people list (redrawn by live events) gives the viewer.
  function syncAnswers() {
    for (const group of document.querySelectorAll("[data-rsvp-for]")) {
      const mine = document.querySelector(`#event-${group.dataset.rsvpFor}-people [data-person="${me}"]`);
      if (!mine) continue;
      for (const button of group.querySelectorAll("[data-rsvp]")) {
        button.setAttribute("aria-pressed", String(button.dataset.rsvp === mine.dataset.response));
      }
    }
  }

  function setUpPage(page) {
    const topic = `calevent.${page.dataset.eventPage}`;
    const seen = Number(page.dataset.sequence);
    document.addEventListener("live:event", (event) => {
      const frame = event.detail;
      if (frame.topic !== topic) return;
      syncAnswers();
      const sequence = frame.payload && Number(frame.payload.sequence);
      const notice = page.querySelector("[data-event-changed]");
      if (notice && sequence > seen) notice.hidden = false;
    });
    // An htmx answer carries the live event too (live.js applies it before this runs).
    document.addEventListener("htmx:afterRequest", (event) => {
      const form = event.detail.elt;
      if (!form.closest || !form.closest("[data-rsvp-for]")) return;
      const error = page.querySelector("[data-rsvp-error]");
      const failed = event.detail.failed && event.detail.xhr;
      if (error) {
        error.hidden = !failed;
        error.textContent = failed ? event.detail.xhr.responseText || "That did not work. Try again." : "";
      }
      syncAnswers();
    });
  }

  // --- Start ------------------------------------------------------------------------------------

  const form = document.querySelector("[data-event-form]");
  if (form) setUpForm(form);
  for (const select of document.querySelectorAll("select[data-people-picker]")) setUpPicker(select);
  const page = document.querySelector("[data-event-page]");
  if (page) setUpPage(page);
})();
