// Ticket pages. The ticket page: a refused write (403/409/422 from a status, rating or
// "Assign to me" button) shows its plain-text reason above the page's cards.
"use strict";

document.addEventListener("htmx:responseError", (event) => {
  const page = event.target.closest("[data-ticket-errors]");
  const box = page && page.querySelector("[data-ticket-error]");
  if (!box) return;
  box.textContent = event.detail.xhr.responseText || "That did not work. Reload the page and try again.";
  box.hidden = false;
});

document.addEventListener("htmx:beforeRequest", (event) => {
  const page = event.target.closest("[data-ticket-errors]");
  const box = page && page.querySelector("[data-ticket-error]");
  if (box && event.detail.requestConfig.verb === "post") box.hidden = true;
});

// New-ticket form: a client search refills the client select; the contact
// select then follows (its options are refreshed on the select's "change").
document.addEventListener("htmx:afterSwap", (event) => {
  if (event.detail.target.id === "id_client") event.detail.target.dispatchEvent(new Event("change"));
});
