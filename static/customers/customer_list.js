// Customer list: tick all customers of the page at once, and show how many are ticked.
// Delegated listeners, so that they keep working when htmx swaps the results in.
(function () {
  "use strict";

  function boxes() {
    return Array.from(document.querySelectorAll('input[name="customer"][form="handover-form"]'));
  }

  function showCount() {
    const counter = document.querySelector("[data-selected-count]");
    if (!counter) {
      return;
    }
    const ticked = boxes().filter((box) => box.checked).length;
    if (!counter.dataset.emptyText) {
      counter.dataset.emptyText = counter.textContent;
    }
    counter.textContent = ticked
      ? counter.dataset.selectedLabel.replace("%(count)s", String(ticked))
      : counter.dataset.emptyText;
  }

  document.addEventListener("change", (event) => {
    const target = event.target;
    if (target.matches("[data-select-all]")) {
      boxes().forEach((box) => {
        box.checked = target.checked;
      });
      showCount();
    } else if (target.matches('input[name="customer"]')) {
      showCount();
    }
  });

  // New results replace the ticked rows: the count starts again.
  document.body.addEventListener("htmx:afterSwap", showCount);
})();
