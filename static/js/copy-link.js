// A "Copy" button beside each open feedback link in the admin: copies the address; where the
// clipboard is out of reach (a page served over plain http), selects it for Ctrl+C instead.
document.addEventListener("click", (event) => {
  const button = event.target.closest("button[data-copy]");
  if (!button) return;
  const field = button.parentElement.querySelector("input");
  const selectIt = () => { if (field) { field.focus(); field.select(); } };
  if (!navigator.clipboard) { selectIt(); return; }
  navigator.clipboard.writeText(button.dataset.copy).then(() => { button.textContent = "Copied"; }, selectIt);
});
