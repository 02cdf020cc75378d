// Turns each <input data-suggest="/suggest/place/"> into an ARIA 1.2 combobox with a list
// of suggestions from the server. Without this script the field still works: the server
// resolves the typed name and lists the choices when it is ambiguous.
(function () {
  "use strict";
  var counter = 0;

  function setUp(input) {
    var id = "combobox-" + (++counter);
    var list = document.createElement("ul");
    var status = document.createElement("p");
    var options = [];
    var active = -1;
    var timer = null;
    var picked = null;

    list.id = id + "-list";
    list.className = "combobox-list";
    list.setAttribute("role", "listbox");
    list.hidden = true;
    status.className = "visually-hidden";
    status.setAttribute("role", "status");
    input.setAttribute("role", "combobox");
    input.setAttribute("aria-autocomplete", "list");
    input.setAttribute("aria-expanded", "false");
    input.setAttribute("aria-controls", list.id);
    input.parentNode.classList.add("combobox");
    input.insertAdjacentElement("afterend", list);
    list.insertAdjacentElement("afterend", status);

    function close() {
      list.hidden = true;
      input.setAttribute("aria-expanded", "false");
      input.removeAttribute("aria-activedescendant");
      active = -1;
    }

    function highlight(index) {
      options.forEach(function (option, i) {
        option.setAttribute("aria-selected", i === index ? "true" : "false");
      });
      active = index;
      if (index >= 0) {
        input.setAttribute("aria-activedescendant", options[index].id);
        options[index].scrollIntoView({ block: "nearest" });
      }
    }

    function pick(option) {
      picked = { name: option.dataset.name, slug: option.dataset.slug };
      input.value = option.dataset.name;
      close();
    }

    function show(results) {
      list.textContent = "";
      options = results.map(function (result, i) {
        var option = document.createElement("li");
        option.id = id + "-option-" + i;
        option.setAttribute("role", "option");
        option.setAttribute("aria-selected", "false");
        option.dataset.name = result.name;
        option.dataset.slug = result.slug;
        option.textContent = result.name;
        if (result.detail) {
          var detail = document.createElement("span");
          detail.className = "combobox-detail";
          detail.textContent = " · " + result.detail;
          option.appendChild(detail);
        }
        option.addEventListener("mousedown", function (event) {
          event.preventDefault();
          pick(option);
        });
        list.appendChild(option);
        return option;
      });
      status.textContent = results.length
        ? results.length + " suggestion" + (results.length === 1 ? "" : "s") + ", use the arrow keys"
        : "No suggestions";
      list.hidden = !results.length;
      input.setAttribute("aria-expanded", results.length ? "true" : "false");
      active = -1;
    }

    function fetchSuggestions() {
      var text = input.value.trim();
      if (!text) { close(); return; }
      var url = input.dataset.suggest + "?q=" + encodeURIComponent(text);
      fetch(url, { headers: { Accept: "application/json" } })
        .then(function (response) { return response.ok ? response.json() : { results: [] }; })
        .then(function (data) { if (input.value.trim() === text) show(data.results); })
        .catch(close);
    }

    input.addEventListener("input", function () {
      picked = null;
      clearTimeout(timer);
      timer = setTimeout(fetchSuggestions, 150);
    });
    input.addEventListener("keydown", function (event) {
      if (event.key === "ArrowDown" || event.key === "ArrowUp") {
        if (list.hidden) { fetchSuggestions(); return; }
        event.preventDefault();
        var step = event.key === "ArrowDown" ? 1 : -1;
        highlight((active + step + options.length) % options.length);
      } else if (event.key === "Enter" && !list.hidden && active >= 0) {
        event.preventDefault();
        pick(options[active]);
      } else if (event.key === "Escape") {
        close();
      }
    });
    input.addEventListener("blur", close);
    if (input.form) {
      // Send the slug of the picked suggestion, so two places of one name never clash.
      input.form.addEventListener("submit", function () {
        if (picked && input.value === picked.name) input.value = picked.slug;
      });
    }
  }

  document.querySelectorAll("input[data-suggest]").forEach(setUp);
})();
