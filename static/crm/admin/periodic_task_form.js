// The periodic task form (django-celery-beat): say the chosen crontab schedule in words
// under its field, instead of in a read-only row of its own.
(function () {
  "use strict";

  const script = document.currentScript;
  const crontabs = JSON.parse(document.getElementById("readable-crontabs").textContent);
  const select = document.getElementById("id_crontab");
  const help = document.getElementById("id_crontab_helptext");
  const row = document.querySelector(".field-crontab_translation");
  if (!select || !help) {
    return;
  }
  if (row) {
    row.style.display = "none";
  }
  const inWords = document.createElement("div");
  inWords.dataset.crontabInWords = "";
  help.appendChild(inWords);

  function describe() {
    const words = crontabs[select.value];
    inWords.textContent = words ? `${script.dataset.inWords} ${words}` : "";
  }

  select.addEventListener("change", describe);
  describe();
})();
