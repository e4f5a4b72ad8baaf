// The compose dialog (templates/mail/compose.html). The "Send email" buttons fetch it with
// htmx and append it to <body>, with this script: it opens the dialog and removes it once
// closed (the next click fetches a fresh form); a sent mail's answer triggers "mail-sent",
// which closes it and says so. Files over the size limits are refused before uploading.
(() => {
  if (window.mailCompose) return window.mailCompose.show();

  function show() {
    for (const dialog of document.querySelectorAll(".modal[data-compose-modal]:not(.show)")) {
      if (!window.bootstrap || dialog.dataset.opened) continue;
      dialog.dataset.opened = "";
      dialog.addEventListener("hidden.bs.modal", () => dialog.remove(), { once: true });
      dialog.addEventListener("shown.bs.modal", () => focusFirst(dialog), { once: true });
      bootstrap.Modal.getOrCreateInstance(dialog).show();
    }
  }

  function focusFirst(dialog) {
    const field = dialog.querySelector("#compose-subject:placeholder-shown, #compose-body");
    if (field) field.focus();
  }

  document.addEventListener("mail-sent", (event) => {
    const dialog = document.getElementById("compose-modal");
    if (dialog && window.bootstrap) bootstrap.Modal.getOrCreateInstance(dialog).hide();
    const text = (event.detail && event.detail.text) || "Sending.";
    if (window.showToast) window.showToast(text, { success: true }); // app.js
  });

  // As the server words it (Django's filesizeformat: 1 KB = 1024 bytes).
  function sizeText(bytes) {
    const mb = 1024 * 1024;
    return bytes >= mb ? `${(bytes / mb).toFixed(1)} MB` : `${(bytes / 1024).toFixed(1)} KB`;
  }

  // Say at once which file is too large, rather than after uploading it.
  document.addEventListener("change", (event) => {
    const input = event.target;
    if (!input.matches || !input.matches("[data-compose-files]")) return;
    const form = input.form;
    const each = Number(form.dataset.maxEach);
    const total = Number(form.dataset.maxTotal);
    const files = [...input.files];
    const big = files.filter((file) => file.size > each);
    const sum = files.reduce((n, file) => n + file.size, 0);
    let problem = "";
    if (big.length) problem = `${big.map((f) => f.name).join(", ")}: each file may be at most ${sizeText(each)}.`;
    else if (sum > total) problem = `The files come to ${sizeText(sum)}; together they may be at most ${sizeText(total)}.`;
    input.setCustomValidity(problem);
    input.classList.toggle("is-invalid", Boolean(problem));
    const box = form.querySelector("#compose-attach-errors");
    box.replaceChildren();
    if (problem) {
      const line = document.createElement("div");
      line.className = "invalid-feedback d-block";
      line.textContent = problem;
      box.append(line);
    }
  });

  // A form whose files are refused is not sent (novalidate skips the browser's own check).
  document.addEventListener("htmx:confirm", (event) => {
    const input = event.target.querySelector && event.target.querySelector("[data-compose-files]");
    if (input && input.validationMessage) {
      event.preventDefault();
      input.focus();
    }
  });

  window.mailCompose = { show };
  document.addEventListener("htmx:load", show);
  show();
})();
