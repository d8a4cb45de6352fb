// Customer form: show the fields of the chosen type (individual or company) and offer only
// the ID documents that fit it. The other type's inputs are disabled, so they are not sent:
// the server refuses what does not fit the type (a company's birth date, say).
(function () {
  "use strict";

  const form = document.querySelector("[data-customer-form]");
  if (!form) {
    return;
  }
  const idType = form.querySelector('select[name="id_type"]');
  const documentsOf = { individual: ["resident_id", "passport"], corporate: ["uscc"] };

  function show(kind) {
    form.querySelectorAll("[data-kind]").forEach((section) => {
      section.hidden = section.dataset.kind !== kind;
      section.querySelectorAll("input, select, textarea").forEach((input) => {
        input.disabled = section.hidden;
      });
    });
    if (!idType) {
      return;
    }
    const allowed = documentsOf[kind] || [];
    Array.from(idType.options).forEach((option) => {
      option.hidden = option.value !== "" && !allowed.includes(option.value);
    });
    if (idType.value && !allowed.includes(idType.value)) {
      idType.value = allowed[0];
    }
  }

  form.addEventListener("change", (event) => {
    if (event.target.name === "kind") {
      show(event.target.value);
    }
  });
  const checked = form.querySelector('input[name="kind"]:checked');
  show(checked ? checked.value : "individual");
})();
