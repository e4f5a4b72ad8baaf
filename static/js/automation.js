// Automation's pages (templates/automation/): buttons that ask first (data-confirm), and
// the controls of a rule's row shown to the people who manage its department. A row is
// drawn once for every viewer when it comes live (automation/fragments.py), so its
// controls (.rule-manage) are marked here against the list's data-manages ("all" or
// department ids; "ws" is a workspace-wide rule's, which only admins manage).
(function () {
  "use strict";

  document.addEventListener("submit", (event) => {
    const question = event.submitter && event.submitter.dataset.confirm;
    if (question && !window.confirm(question)) event.preventDefault();
  });

  function manages(department) {
    const scope = document.querySelector("[data-manages]");
    if (!scope) return false;
    const allowed = scope.dataset.manages.trim();
    return allowed === "all" || allowed.split(/\s+/).includes(department);
  }

  function markControls() {
    for (const row of document.querySelectorAll("[data-department]")) {
      const mine = manages(row.dataset.department);
      for (const control of row.querySelectorAll(".rule-manage")) control.classList.toggle("is-managed", mine);
    }
  }

  // A refused switch (403: no longer a manager of it; 422: it names something gone)
  // says why, and the switch goes back to how it was.
  document.addEventListener("htmx:responseError", (event) => {
    const form = event.target.closest(".rule-switch");
    if (!form) return;
    const box = form.querySelector("input[type=checkbox]");
    if (box) box.checked = !box.checked;
    if (window.showToast) window.showToast(event.detail.xhr.responseText || "That did not work. Reload the page and try again.");
  });

  document.addEventListener("live:event", markControls);
  document.addEventListener("htmx:afterSettle", markControls);
  document.addEventListener("htmx:afterRequest", markControls);
})();
