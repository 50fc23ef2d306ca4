// The "Print" button of a table card or counter flyer.
document.addEventListener("click", (event) => {
  if (event.target.closest("[data-print]")) window.print();
});
