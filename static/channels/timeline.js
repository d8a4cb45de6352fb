// The timeline panel's forms: the amount field only for transactions, and a Cancel button
// that closes the form. Delegated listeners, since htmx brings the forms in after load.
(function () {
  "use strict";

  function showAmountFor(kindSelect) {
    const form = kindSelect.closest("form");
    const amount = form && form.querySelector("[data-amount-field]");
    if (amount) {
      amount.classList.toggle("d-none", kindSelect.value !== "transaction");
    }
  }

  document.addEventListener("change", (event) => {
    if (event.target.matches("[data-interaction-kind]")) {
      showAmountFor(event.target);
    }
  });

  document.addEventListener("click", (event) => {
    const button = event.target.closest("[data-dismiss-form]");
    if (button) {
      const form = button.closest("form");
      if (form) {
        form.remove();
      }
    }
  });
})();
