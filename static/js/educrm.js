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
  // Forms marked data-remember keep what was typed while another form of the page is sent (the
  // student uploads ID photos between typing and submitting). Kept in this tab only, restored
  // into empty fields, forgotten when the form itself is sent.
  document.querySelectorAll("form[data-remember]").forEach((form) => {
    const key = `educrm:${form.dataset.remember}`;
    const fields = () => form.querySelectorAll(
      "input:not([type=hidden]):not([type=file]):not([type=checkbox]):not([type=radio]), select, textarea",
    );
    const saved = JSON.parse(sessionStorage.getItem(key) || "{}");
    fields().forEach((field) => {
      if (!field.value && saved[field.name]) field.value = saved[field.name];
    });
    form.addEventListener("input", () => {
      const values = {};
      fields().forEach((field) => { values[field.name] = field.value; });
      sessionStorage.setItem(key, JSON.stringify(values));
    });
    form.addEventListener("submit", () => sessionStorage.removeItem(key));
  });
  // Selects marked data-autosubmit send their form when changed (a list's status filter).
  document.querySelectorAll("select[data-autosubmit]").forEach((select) => {
    select.addEventListener("change", () => select.form.requestSubmit());
  });
  // Print buttons (the student's contract: print, or save as PDF from the print dialog).
  document.querySelectorAll("[data-print]").forEach((button) => {
    button.addEventListener("click", () => window.print());
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
