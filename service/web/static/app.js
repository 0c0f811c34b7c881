// techmatch: keyboard shortcuts of the review queue, and "select all". No inline script.
(function () {
  "use strict";
  function ready(fn) {
    if (document.readyState !== "loading") { fn(); } else { document.addEventListener("DOMContentLoaded", fn); }
  }
  ready(function () {
    // a form shown again with errors: start at the first field to correct
    var invalid = document.querySelector("form [aria-invalid=true]");
    if (invalid) { invalid.focus(); }
    var list = document.getElementById("pairs");
    var selectAll = document.getElementById("select-all");
    if (selectAll) {
      selectAll.addEventListener("change", function () {
        document.querySelectorAll("input.select").forEach(function (box) { box.checked = selectAll.checked; });
      });
    }
    if (!list) { return; }
    var cards = Array.prototype.slice.call(list.querySelectorAll("li.pair"));
    var index = 0;
    function show(i, move) {
      if (!cards.length) { return; }
      index = Math.max(0, Math.min(cards.length - 1, i));
      cards.forEach(function (card, j) { card.classList.toggle("current", j === index); });
      if (move !== false) {
        cards[index].focus({ preventScroll: true });
        cards[index].scrollIntoView({ block: "nearest" });
      }
    }
    cards.forEach(function (card, j) {
      card.addEventListener("focusin", function () {
        index = j;
        cards.forEach(function (c, k) { c.classList.toggle("current", k === j); });
      });
    });
    function click(selector) {
      var button = cards[index] && cards[index].querySelector(selector);
      if (button) { button.click(); }
    }
    // Enter on a card's reason list rejects with that reason.
    list.addEventListener("keydown", function (event) {
      var target = event.target;
      if (event.key === "Enter" && target.classList && target.classList.contains("reason")) {
        event.preventDefault();
        var form = target.form;
        var button = form && form.querySelector("button.reject");
        if (button) { button.click(); }
      }
    });
    document.addEventListener("keydown", function (event) {
      if (event.ctrlKey || event.metaKey || event.altKey) { return; }
      var tag = (event.target.tagName || "").toLowerCase();
      if (tag === "input" || tag === "textarea" || tag === "select" || event.target.isContentEditable) {
        if (event.key === "Escape") { event.target.blur(); show(index); }
        return;
      }
      var key = event.key;
      if (key === "j") { show(index + 1); }
      else if (key === "k") { show(index - 1); }
      else if (key === "a") { click("button.accept"); }
      else if (key === "m") { click("button.maybe"); }
      else if (key === "r") {
        var reason = cards[index] && cards[index].querySelector("select.reason");
        if (reason) { reason.focus(); }
      }
      else if (key === "x") {
        var box = cards[index] && cards[index].querySelector("input.select");
        if (box) { box.checked = !box.checked; }
      }
      else { return; }
      event.preventDefault();
    });
    show(0, false);
  });
})();
