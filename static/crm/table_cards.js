// List tables become cards on narrow screens (crm.css, "table-cards"). A card has no column
// headers, so every cell carries its column's header as data-label, shown before the value.
// The labels are copied from the header here rather than written into each template cell:
// a column added later is labelled too, and rows that htmx swaps in get theirs after the swap.
(function () {
  "use strict";

  function labelCells(root) {
    root.querySelectorAll("table.table-cards").forEach((table) => {
      const headerRow = table.tHead && table.tHead.rows[0];
      if (!headerRow) {
        return;
      }
      const labels = [];
      Array.from(headerRow.cells).forEach((header) => {
        for (let span = 0; span < header.colSpan; span += 1) {
          labels.push(header.textContent.trim());
        }
      });
      Array.from(table.tBodies).forEach((body) => {
        Array.from(body.rows).forEach((row) => {
          let column = 0;
          Array.from(row.cells).forEach((cell) => {
            // A cell spanning several columns is a message ("nothing found"), not a value.
            if (cell.colSpan === 1 && labels[column] && !cell.hasAttribute("data-label")) {
              cell.dataset.label = labels[column];
            }
            column += cell.colSpan;
          });
        });
      });
    });
  }

  labelCells(document);
  document.addEventListener("htmx:afterSettle", () => labelCells(document));
})();
