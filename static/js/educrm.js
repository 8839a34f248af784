// EduCRM's own behaviour: small progressive enhancements only; every page works without it.
document.addEventListener("DOMContentLoaded", () => {
  // Ask before destructive actions (forms marked data-confirm).
  document.querySelectorAll("form[data-confirm]").forEach((form) => {
    form.addEventListener("submit", (event) => {
      if (!window.confirm(form.dataset.confirm)) event.preventDefault();
    });
  });
  // "Select all" checkboxes in permission groups.
  document.querySelectorAll("[data-check-group]").forEach((toggle) => {
    toggle.addEventListener("change", () => {
      document
        .querySelectorAll(`input[data-group="${toggle.dataset.checkGroup}"]`)
        .forEach((box) => { box.checked = toggle.checked; });
    });
  });
});
