// The meeting sheet's "Print" button. The Content Security Policy allows no inline script, so the
// button is wired here, and shown only once it works (without this script, Ctrl+P still prints).
document.addEventListener("DOMContentLoaded", () => {
  for (const button of document.querySelectorAll("[data-print]")) {
    button.addEventListener("click", () => window.print());
    button.hidden = false;
  }
});
