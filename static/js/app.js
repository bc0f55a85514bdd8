// Small helpers for every page: copy buttons, confirmations, "select all" boxes, the time zone filler and
// keyboard shortcuts for the week view. Plain JavaScript, no dependencies.
(function () {
  "use strict";

  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-copy]");
    if (!button) return;
    var field = document.querySelector(button.dataset.copy);
    if (!field) return;
    var text = field.value !== undefined ? field.value : field.textContent;
    var done = function () {
      var label = button.textContent;
      button.textContent = "Copied";
      button.setAttribute("aria-live", "polite");
      setTimeout(function () { button.textContent = label; }, 1500);
    };
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(text).then(done, function () { field.select && field.select(); });
    } else {
      if (field.select) field.select();
      try { document.execCommand("copy"); done(); } catch (e) { /* the text stays selected for Ctrl+C */ }
    }
  });

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (form.dataset.confirm && !window.confirm(form.dataset.confirm)) event.preventDefault();
  });

  document.querySelectorAll("[data-select-all]").forEach(function (box) {
    var boxes = function () { return document.querySelectorAll(box.dataset.selectAll); };
    box.addEventListener("change", function () {
      boxes().forEach(function (b) { b.checked = box.checked; });
    });
  });

  var zoneButton = document.getElementById("use-browser-zone");
  if (zoneButton) {
    var zone = "";
    try { zone = Intl.DateTimeFormat().resolvedOptions().timeZone || ""; } catch (e) { zone = ""; }
    if (zone) {
      zoneButton.hidden = false;
      zoneButton.textContent = "Use this device’s zone (" + zone + ")";
      zoneButton.addEventListener("click", function () {
        var input = document.getElementById("id_timezone");
        input.value = zone;
        input.focus();
      });
    }
  }

  // Week view: "j"/"k" or the arrow keys with Alt move between weeks, "t" goes to this week.
  var week = document.querySelector("[data-week-nav]");
  if (week) {
    document.addEventListener("keydown", function (event) {
      if (event.target.closest("input, textarea, select") || event.ctrlKey || event.metaKey) return;
      var target = null;
      if (event.key === "k" || (event.altKey && event.key === "ArrowLeft")) target = week.querySelector("[rel=prev]");
      if (event.key === "j" || (event.altKey && event.key === "ArrowRight")) target = week.querySelector("[rel=next]");
      if (event.key === "t") target = week.querySelector("[data-today]");
      if (target) { event.preventDefault(); window.location.href = target.href; }
    });
  }
})();

// Open the <details> panel a link points at (e.g. "Edit" from the review queue opens #edit).
(function () {
  "use strict";
  function openTarget() {
    var id = window.location.hash.slice(1);
    var el = id && document.getElementById(id);
    if (el && el.tagName === "DETAILS") { el.open = true; var s = el.querySelector("summary"); if (s) s.focus(); }
  }
  window.addEventListener("hashchange", openTarget);
  openTarget();
})();
