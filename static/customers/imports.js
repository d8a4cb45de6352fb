// Import pages: show the columns of the kind of file chosen, and send each form only once.
(function () {
  "use strict";

  function showColumnsOf(kind) {
    document.querySelectorAll("[data-import-columns]").forEach(function (card) {
      card.hidden = card.dataset.importColumns !== kind;
    });
  }

  var kindInputs = document.querySelectorAll("input[name=kind]");
  kindInputs.forEach(function (input) {
    if (input.checked) {
      showColumnsOf(input.value);
    }
    input.addEventListener("change", function () {
      showColumnsOf(input.value);
    });
  });

  // A second click on "Apply" must not start a second job (the server refuses it anyway).
  document.querySelectorAll("form[data-submit-once]").forEach(function (form) {
    form.addEventListener("submit", function () {
      window.setTimeout(function () {
        form.querySelectorAll("button[type=submit]").forEach(function (button) {
          button.disabled = true;
        });
      }, 0);
    });
  });
})();
