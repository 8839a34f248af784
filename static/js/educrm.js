// EduCRM's own behaviour: small progressive enhancements only; every page works without it.
document.addEventListener("DOMContentLoaded", () => {
  // Ask before destructive actions (forms marked data-confirm).
  document.querySelectorAll("form[data-confirm]").forEach((form) => {
    form.addEventListener("submit", (event) => {
      if (!window.confirm(form.dataset.confirm)) event.preventDefault();
    });
  });
  // Buttons that ask first (batch actions: one form, several buttons).
  document.querySelectorAll("button[data-confirm]").forEach((button) => {
    button.addEventListener("click", (event) => {
      if (!window.confirm(button.dataset.confirm)) event.preventDefault();
    });
  });
  // "Select all" of a list's batch checkboxes (the boxes sit in the table, tied to the batch form).
  document.querySelectorAll("[data-select-all]").forEach((toggle) => {
    toggle.addEventListener("change", () => {
      document
        .querySelectorAll(`input[type=checkbox][name="${toggle.dataset.selectAll}"]`)
        .forEach((box) => { box.checked = toggle.checked; });
    });
  });
  // Copy buttons (the enrollment link): copy the target field's value, say so on the button.
  document.querySelectorAll("[data-copy]").forEach((button) => {
    button.addEventListener("click", async () => {
      const field = document.querySelector(button.dataset.copy);
      field.select();
      try {
        await navigator.clipboard.writeText(field.value);
      } catch {
        document.execCommand("copy"); // plain-HTTP intranets have no Clipboard API
      }
      button.textContent = button.dataset.copied;
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
