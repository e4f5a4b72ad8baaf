// Small page behaviours that need no server round trip. No inline scripts (CSP).
"use strict";

// Select the invitation link on focus so it can be copied in one go.
document.addEventListener("focusin", (event) => {
  if (event.target.matches("input.invite-link")) event.target.select();
});
