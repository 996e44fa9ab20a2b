// Progressive enhancement only: every page works without this file.
(function () {
  "use strict";

  // Filters that submit themselves when changed.
  document.querySelectorAll("select[data-autosubmit]").forEach(function (select) {
    select.addEventListener("change", function () { if (select.form) select.form.submit(); });
  });

  // Confirmation before destructive forms.
  document.querySelectorAll("form[data-confirm]").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      if (!window.confirm(form.getAttribute("data-confirm"))) event.preventDefault();
    });
  });

  // Print button on the report.
  document.querySelectorAll("[data-print]").forEach(function (button) {
    button.addEventListener("click", function () { window.print(); });
  });

  // Sections loaded after the page (analytics and monitoring can take a while).
  var load = function (holder, triesLeft) {
    holder.setAttribute("aria-busy", "true");
    fetch(holder.getAttribute("data-fragment"), { credentials: "same-origin" })
      .then(function (response) { return response.ok ? response.text() : Promise.reject(response.status); })
      .then(function (html) { holder.innerHTML = html; holder.removeAttribute("aria-busy"); })
      .catch(function () {
        if (triesLeft > 0) { window.setTimeout(function () { load(holder, triesLeft - 1); }, 2000); }
        else { holder.removeAttribute("aria-busy"); /* keep the link to the full page */ }
      });
  };
  document.querySelectorAll("[data-fragment]").forEach(function (holder) { load(holder, 1); });

  // YAML problems: clicking "line N" puts the cursor on that line.
  var yaml = document.getElementById("yaml");
  document.querySelectorAll("a[data-line]").forEach(function (link) {
    link.addEventListener("click", function (event) {
      if (!yaml) return;
      event.preventDefault();
      var line = parseInt(link.getAttribute("data-line"), 10);
      var lines = yaml.value.split("\n");
      var start = 0;
      for (var i = 0; i < line - 1 && i < lines.length; i++) start += lines[i].length + 1;
      yaml.focus();
      yaml.setSelectionRange(start, start + (lines[line - 1] || "").length);
    });
  });

  // Review queue keyboard shortcuts: j/k move, a accept, r reject, g re-assign, x tick for a bulk review.
  var items = Array.prototype.slice.call(document.querySelectorAll(".queue-item"));
  if (items.length) {
    var current = 0;
    var select = function (index) {
      items.forEach(function (item) { item.classList.remove("current"); });
      current = Math.max(0, Math.min(items.length - 1, index));
      items[current].classList.add("current");
      items[current].focus({ preventScroll: false });
    };
    items.forEach(function (item, index) { item.addEventListener("focus", function () {
      items.forEach(function (other) { other.classList.remove("current"); });
      current = index; item.classList.add("current");
    }); });
    document.addEventListener("keydown", function (event) {
      var target = event.target;
      if (event.ctrlKey || event.metaKey || event.altKey) return;
      if (target && /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName)) return;
      var key = event.key.toLowerCase();
      if (key === "j") { select(current + 1); event.preventDefault(); }
      else if (key === "k") { select(current - 1); event.preventDefault(); }
      else if (key === "a" || key === "r" || key === "g") {
        var button = items[current].querySelector('button[data-key="' + key + '"]');
        if (button) { event.preventDefault(); button.click(); }
      }
      else if (key === "x") {  // tick or untick for a bulk review
        var box = items[current].querySelector('input[data-key="x"]');
        if (box) { event.preventDefault(); box.checked = !box.checked; }
      }
    });
    select(0);
  }
})();
