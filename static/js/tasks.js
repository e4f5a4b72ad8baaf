// Task pages and the quick-add modal (records/views/tasks.py). Loaded by the task pages,
// and by the quick-add modal itself (any page's top bar), so it installs itself once.
// - Shows a quick-add modal appended by htmx and removes it when closed.
// - On task forms: names the assignee's time zone next to the due field and warns,
//   before saving, when the due time has passed there (the server asks again).
// - Shows the reason of a refused write (403/422 text) and resets add-forms that worked.
"use strict";

(function () {
  if (window.workspaceTasks) {
    window.workspaceTasks.showModals();
    return;
  }

  function showModals(root = document) {
    if (!window.bootstrap) return;
    for (const modal of root.querySelectorAll("[data-task-modal]:not(.is-shown)")) {
      for (const old of document.querySelectorAll("[data-task-modal].is-shown")) old.remove();
      modal.classList.add("is-shown");
      modal.addEventListener("hidden.bs.modal", () => modal.remove());
      modal.addEventListener("shown.bs.modal", () => modal.querySelector("[autofocus]")?.focus());
      bootstrap.Modal.getOrCreateInstance(modal).show();
    }
  }

  // The wall-clock time now in a time zone, as a datetime-local input writes it.
  function nowIn(zone) {
    try {
      const parts = new Intl.DateTimeFormat("sv-SE", {
        timeZone: zone,
        year: "numeric",
        month: "2-digit",
        day: "2-digit",
        hour: "2-digit",
        minute: "2-digit",
        hourCycle: "h23",
      }).format(new Date());
      return parts.replace(" ", "T");
    } catch {
      return null;
    }
  }

  function updateDueHint(form) {
    const select = form.querySelector("select[name=assignee]");
    const due = form.querySelector("[data-task-due]");
    if (!select || !due) return;
    const option = select.selectedOptions[0];
    const zone = option && option.dataset.zone;
    const name = form.querySelector("[data-task-zone-name]");
    if (name && zone) name.textContent = `${option.dataset.name}'s time (${zone.replaceAll("_", " ")})`;
    const now = zone && nowIn(zone);
    const past = form.querySelector("[data-task-past]");
    if (past) past.hidden = !(due.value && now && due.value.slice(0, 16) < now);
  }

  function decorate(root) {
    showModals(root);
    const forms = root.matches && root.matches("[data-task-form]") ? [root] : [];
    for (const form of [...forms, ...root.querySelectorAll("[data-task-form]")]) updateDueHint(form);
  }

  document.addEventListener("change", (event) => {
    const form = event.target.closest("[data-task-form]");
    if (form) updateDueHint(form);
  });
  document.addEventListener("input", (event) => {
    if (event.target.matches("[data-task-due]")) updateDueHint(event.target.closest("[data-task-form]"));
  });

  document.addEventListener("htmx:responseError", (event) => {
    const page = event.detail.elt.closest("[data-task-errors]") || document;
    const box = page.querySelector("[data-task-error]");
    if (!box) return;
    box.textContent = event.detail.xhr.responseText || "That did not work. Try again.";
    box.hidden = false;
  });
  document.addEventListener("htmx:afterRequest", (event) => {
    const form = event.detail.elt;
    if (!event.detail.successful || !form.matches || !form.matches("form")) return;
    if (form.matches("[data-task-reset]")) form.reset();
    const box = (form.closest("[data-task-errors]") || document).querySelector("[data-task-error]");
    if (box) box.hidden = true;
  });

  if (window.htmx) htmx.onLoad(decorate);
  window.workspaceTasks = { showModals };
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", () => decorate(document.body));
  else decorate(document.body);
})();
