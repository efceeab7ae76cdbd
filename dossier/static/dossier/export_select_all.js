// The export page's "Select all" box (django-import-export wires it with an inline
// onchange attribute, which the Content-Security-Policy forbids).
document.addEventListener("DOMContentLoaded", () => {
  document.querySelectorAll(".select-toggle").forEach((toggle) => {
    toggle.addEventListener("change", onSelectToggleChange);
  });
});
