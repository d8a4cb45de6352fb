// Manager lookups (templates/customers/_manager_lookup.html): type part of a name, username
// or employee number, htmx fetches the matching managers under the box, choose one and its
// id goes into the hidden input the form sends. Delegated listeners, so that lookups swapped
// in by htmx work too.
(function () {
  "use strict";

  function lookupOf(element) {
    const root = element.closest("[data-manager-lookup]");
    if (!root) {
      return null;
    }
    return {
      root: root,
      value: root.querySelector("[data-manager-value]"),
      search: root.querySelector("[data-manager-search]"),
      matches: root.querySelector("[data-manager-matches]"),
    };
  }

  function choices(lookup) {
    return Array.from(lookup.matches.querySelectorAll("[data-manager-choice]"));
  }

  function close(lookup) {
    lookup.matches.replaceChildren();
    lookup.search.setAttribute("aria-expanded", "false");
  }

  // Back to the manager chosen before, when what was typed was not used to choose one.
  function restore(lookup) {
    lookup.search.value = lookup.search.dataset.chosenLabel || "";
  }

  function choose(lookup, value, label) {
    const changed = lookup.value.value !== value;
    lookup.value.value = value;
    lookup.search.value = label;
    lookup.search.defaultValue = label; // what a history snapshot of the page keeps
    lookup.search.dataset.chosenLabel = label;
    lookup.search.setCustomValidity("");
    lookup.search.classList.remove("is-invalid");
    lookup.search.removeAttribute("aria-invalid");
    close(lookup);
    if (changed) {
      // The filter form refreshes the list on "change", like after any other filter.
      lookup.value.dispatchEvent(new Event("change", { bubbles: true }));
    }
  }

  // Matches still for what the box says (not an answer to text typed since).
  function current(lookup) {
    const list = lookup.matches.querySelector("[data-manager-q]");
    return list !== null && list.dataset.managerQ === lookup.search.value.trim();
  }

  // Typing in the box is a search, not a change of the form: only choosing a manager is.
  // Caught before it reaches the form (capture), so that the list is not reloaded for it.
  document.addEventListener(
    "change",
    (event) => {
      if (event.target.matches("[data-manager-search]")) {
        event.stopPropagation();
      }
    },
    true
  );

  // Typing replaces the chosen manager's name rather than adding to it.
  document.addEventListener("focusin", (event) => {
    const search = event.target;
    if (search.matches("[data-manager-search]") && search.value === search.dataset.chosenLabel) {
      search.select();
    }
  });

  document.addEventListener("input", (event) => {
    if (!event.target.matches("[data-manager-search]")) {
      return;
    }
    const lookup = lookupOf(event.target);
    lookup.search.setCustomValidity("");
    if (event.target.value.trim() === "" && lookup.value.value !== "") {
      // An emptied box: no manager chosen (in the filter: anyone; where customers go: nobody,
      // the public pool).
      choose(lookup, "", "");
    }
  });

  document.addEventListener("click", (event) => {
    const choice = event.target.closest("[data-manager-choice]");
    const lookup = choice && lookupOf(choice);
    if (lookup) {
      choose(lookup, choice.dataset.managerChoice, choice.dataset.label);
      lookup.search.focus();
      return;
    }
    // A click elsewhere closes the open lists.
    document.querySelectorAll("[data-manager-lookup]").forEach((root) => {
      if (!root.contains(event.target)) {
        const other = lookupOf(root);
        if (other.matches.childElementCount) {
          close(other);
          restore(other);
        }
      }
    });
  });

  document.addEventListener("keydown", (event) => {
    const lookup = lookupOf(event.target);
    if (!lookup) {
      return;
    }
    const options = choices(lookup);
    const position = options.indexOf(event.target);
    if (event.key === "Enter" && event.target === lookup.search) {
      event.preventDefault(); // never submits the form around the lookup
      if (current(lookup) && options.length) {
        choose(lookup, options[0].dataset.managerChoice, options[0].dataset.label);
      }
    } else if (event.key === "Escape") {
      close(lookup);
      restore(lookup);
      lookup.search.focus();
    } else if (event.key === "ArrowDown" && options.length) {
      event.preventDefault();
      options[Math.min(position + 1, options.length - 1)].focus();
    } else if (event.key === "ArrowUp" && position >= 0) {
      event.preventDefault();
      (position === 0 ? lookup.search : options[position - 1]).focus();
    }
  });

  document.body.addEventListener("htmx:afterSwap", (event) => {
    const lookup = event.detail.target.matches("[data-manager-matches]")
      ? lookupOf(event.detail.target)
      : null;
    if (!lookup) {
      return;
    }
    if (!current(lookup) || document.activeElement !== lookup.search) {
      close(lookup); // a late answer, after a manager was chosen or the box was left
    } else {
      lookup.search.setAttribute("aria-expanded", "true");
    }
  });

  // A lookup that must be filled (the handover) stops its form until a manager is chosen.
  document.addEventListener("submit", (event) => {
    event.target.querySelectorAll("[data-manager-lookup][data-required-message]").forEach((root) => {
      const lookup = lookupOf(root);
      if (lookup.value.value === "" && !event.defaultPrevented) {
        event.preventDefault();
        lookup.search.setCustomValidity(root.dataset.requiredMessage);
        lookup.search.reportValidity();
      }
    });
  });
})();
