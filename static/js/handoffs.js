// The hand-off modal: the "Hand off" buttons fetch it with htmx and append it to
// <body>, with this script; it opens the modal, and removes it once closed so the
// next click fetches a fresh form.
(() => {
  function showNew() {
    for (const dialog of document.querySelectorAll(".modal[data-show-on-load]")) {
      if (!window.bootstrap) return;
      dialog.removeAttribute("data-show-on-load");
      dialog.addEventListener("hidden.bs.modal", () => dialog.remove(), { once: true });
      bootstrap.Modal.getOrCreateInstance(dialog).show();
    }
  }
  if (!window.handoffModal) {
    window.handoffModal = true;
    document.addEventListener("htmx:load", showNew);
  }
  showNew();
})();
