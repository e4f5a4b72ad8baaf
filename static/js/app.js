// Small page behaviours that need no server round trip. No inline scripts (CSP).
"use strict";

// Select an invitation or calendar feed link on focus so it can be copied in one go.
document.addEventListener("focusin", (event) => {
  if (event.target.matches("input.invite-link, input.feed-link")) event.target.select();
});

// A refusal with its reason (400 bad input, 403, 409 conflict, 422 invalid) comes back as
// the region to show in place; htmx swaps only 2xx by default. Regions that want that
// carry data-inline-errors (or are a record's field editor, comment thread or log form).
const INLINE_ERROR_STATUSES = new Set([400, 403, 409, 422]);
document.addEventListener("htmx:beforeSwap", (event) => {
  const { xhr, requestConfig } = event.detail;
  const source = requestConfig && requestConfig.elt;
  if (!INLINE_ERROR_STATUSES.has(xhr.status) || !source || !source.closest) return;
  if (source.closest("[data-inline-errors], .field, .comment-thread, .log-form")) {
    event.detail.shouldSwap = true;
    event.detail.isError = false;
  }
});

// The CSRF token for a script's own fetch (the one htmx sends: <body hx-headers>).
window.csrfToken = function () {
  try {
    return JSON.parse(document.body.getAttribute("hx-headers") || "{}")["X-CSRFToken"] || "";
  } catch {
    return "";
  }
};

// A message as a Bootstrap toast in the page's toast box ([data-toasts]), made at the
// bottom right on a page without one: an error by default (the board, the deal page, the
// calendar, writes that could not reach the server), or a confirmation with
// { success: true } (a mail sent).
window.showToast = function (message, { success = false } = {}) {
  if (!window.bootstrap) return success ? undefined : window.alert(message);
  let box = document.querySelector("[data-toasts]");
  if (!box) {
    box = document.createElement("div");
    box.className = "toast-container position-fixed bottom-0 end-0 p-3";
    box.dataset.toasts = "";
    box.setAttribute("aria-live", "polite");
    document.body.append(box);
  }
  const item = document.createElement("div");
  item.className = `toast align-items-center border-0 text-bg-${success ? "success" : "danger"}`;
  item.setAttribute("role", success ? "status" : "alert");
  const row = document.createElement("div");
  row.className = "d-flex";
  const text = document.createElement("div");
  text.className = "toast-body";
  text.textContent = message;
  const close = document.createElement("button");
  close.type = "button";
  close.className = "btn-close btn-close-white me-2 m-auto";
  close.dataset.bsDismiss = "toast";
  close.setAttribute("aria-label", "Close");
  row.append(text, close);
  item.append(row);
  box.append(item);
  item.addEventListener("hidden.bs.toast", () => item.remove());
  window.bootstrap.Toast.getOrCreateInstance(item, { delay: 6000 }).show();
};

// Search boxes (the top bar's and the search page's, [data-search-box]): htmx asks once
// the person pauses (hx-trigger delay) and one request at a time (its default queue), so
// an answer can still arrive for what the box said before the last keys. Such an answer
// is dropped: only the one for the box's current text is shown.
function searchText(text) {
  return (text || "").trim().split(/\s+/).join(" ");
}

document.addEventListener("htmx:beforeSwap", (event) => {
  const box = event.detail.requestConfig && event.detail.requestConfig.elt;
  if (!box || !box.matches || !box.matches("input[data-search-box]")) return;
  const asked = new URL(event.detail.pathInfo.finalRequestPath, location.origin);
  if (searchText(asked.searchParams.get(box.name)) !== searchText(box.value)) {
    event.detail.shouldSwap = false;
  }
});

// Writes while the server cannot be reached (offline, a restart): never silent. A form
// marked data-resend (a comment) keeps its text, says "Not sent" with a Retry, and is
// sent again by itself once the tab is back (its live socket reconnects, or the browser
// is online again). Its hidden send_id stays the same until a post succeeds (the
// server draws a new form), so a post that did arrive the first time is not doubled.
// Any other htmx write that fails on the network says so in a toast. A gateway's
// refusal (502/503/504: a load balancer that found no server up) is such a failure too.
const UNREACHED = new Set([502, 503, 504]);
function notSent(event) {
  const source = event.detail.elt;
  const form = source && source.closest && source.closest("form[data-resend]");
  if (form) return holdUnsent(form);
  const verb = ((event.detail.requestConfig || {}).verb || "get").toLowerCase();
  if (verb !== "get") window.showToast("Not saved: the server cannot be reached. Check your connection and try again.");
}
document.addEventListener("htmx:sendError", notSent);
document.addEventListener("htmx:responseError", (event) => UNREACHED.has(event.detail.xhr.status) && notSent(event));

function holdUnsent(form) {
  form.dataset.unsent = "";
  resendNotice(form, "Not sent — will send when you are back.", true);
  const failures = Number(form.dataset.failures || 0) + 1;
  form.dataset.failures = String(failures);
  if (window.live) window.live.resendSoon(() => "unsent" in form.dataset && resend(form), failures);
}

function resendNotice(form, text, failed) {
  let notice = form.querySelector(".resend-notice");
  if (!notice) {
    notice = document.createElement("div");
    notice.className = "resend-notice";
    notice.setAttribute("role", "status");
    form.append(notice);
  }
  notice.classList.toggle("is-failed", failed);
  notice.textContent = text;
  if (failed) {
    const retry = document.createElement("button");
    retry.type = "button";
    retry.className = "btn btn-link btn-sm";
    retry.dataset.resendNow = "";
    retry.textContent = "Retry";
    notice.append(" ", retry);
  }
}

function resend(form) {
  if (!form.isConnected || form.classList.contains("htmx-request")) return;
  resendNotice(form, "Sending…", false);
  form.requestSubmit();
}

function resendAll() {
  document.querySelectorAll("form[data-resend][data-unsent]").forEach(resend);
}

document.addEventListener("click", (event) => {
  const retry = event.target.closest && event.target.closest("[data-resend-now]");
  if (retry) resend(retry.closest("form"));
});
document.addEventListener("live:connected", resendAll);
window.addEventListener("online", resendAll);
