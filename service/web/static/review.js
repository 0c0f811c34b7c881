// techmatch review queue: a card's decision is posted with fetch and shown on the card
// (no page load), the counts and the progress bar follow, focus moves to the next card.
// Without JavaScript the same forms post and the page reloads. No inline script.
(function () {
  "use strict";
  document.documentElement.classList.add("has-js");
  function ready(fn) {
    if (document.readyState !== "loading") { fn(); } else { document.addEventListener("DOMContentLoaded", fn); }
  }
  ready(function () {
    var list = document.getElementById("pairs");
    if (!list) { return; }
    var progress = document.getElementById("progress");
    var progressLabel = document.getElementById("progress-label");

    function count(name) {
      var el = document.querySelector('[data-count="' + name + '"]');
      return el ? el : null;
    }
    function move(from, to) {
      if (from === to) { return; }
      var a = count(from), b = count(to);
      if (a) { a.textContent = String(Math.max(0, parseInt(a.textContent, 10) - 1)); }
      if (b) { b.textContent = String(parseInt(b.textContent, 10) + 1); }
      var unreviewed = count("unreviewed");
      if (progress && unreviewed) {
        var pool = parseInt(progress.getAttribute("max"), 10) || 0;
        var decided = pool - parseInt(unreviewed.textContent, 10);
        progress.value = decided;
        if (progressLabel && progressLabel.dataset.template) {
          progressLabel.textContent = progressLabel.dataset.template
            .replace("{decided}", String(decided)).replace("{pool}", String(pool));
        }
      }
    }
    function notice(card, text, kind) {
      var box = card.querySelector(".card-notice");
      if (!box) { return; }
      box.textContent = text;
      box.className = "card-notice" + (kind ? " " + kind : "");
      box.setAttribute("role", kind === "conflict" ? "alert" : "status");
      box.hidden = false;
    }
    function show(card, body) {
      var before = card.dataset.status || "unreviewed";
      card.dataset.status = body.status;
      card.dataset.revision = String(body.revision);
      card.classList.add("decided");
      var badge = card.querySelector(".badge.decision");
      if (badge) {
        badge.className = "badge decision " + body.status;
        badge.hidden = false;
        var label = badge.querySelector(".decision-label");
        if (label) { label.textContent = body.label + (body.reason ? " · " + body.reason : ""); }
      }
      card.querySelectorAll('input[name="expected_revision"], input.bulk-revision').forEach(function (input) {
        input.value = String(body.revision);
      });
      move(before, body.status);
    }
    function next(card) {
      var el = card.nextElementSibling;
      while (el && !(el.classList && el.classList.contains("pair"))) { el = el.nextElementSibling; }
      if (el) {
        el.focus({ preventScroll: true });
        el.scrollIntoView({ block: "nearest" });
      }
    }
    list.addEventListener("submit", function (event) {
      var form = event.target;
      if (!form.classList || !form.classList.contains("decide") || !window.fetch) { return; }
      event.preventDefault();
      var card = form.closest("li.pair");
      if (!card || card.dataset.pending === "1") { return; }
      var data = new FormData(form);
      var submitter = event.submitter;
      if (submitter && submitter.name) { data.set(submitter.name, submitter.value); }
      card.dataset.pending = "1";
      fetch(form.action, {
        method: "POST",
        body: new URLSearchParams(data),
        headers: { "Accept": "application/json" },
        credentials: "same-origin"
      }).then(function (response) {
        return response.json().then(function (body) { return { status: response.status, body: body }; });
      }).then(function (answer) {
        var body = answer.body;
        if (answer.status === 200) {
          show(card, body);
          notice(card, body.message, "saved");
          next(card);
        } else if (answer.status === 409 && body.conflict) {
          show(card, body);
          notice(card, body.message, "conflict");
          card.focus({ preventScroll: true });
        } else {
          notice(card, body.message || String(answer.status), "conflict");
        }
      }).catch(function () {
        if (submitter && submitter.name) {  // no answer we understand: post the plain way
          var hidden = document.createElement("input");
          hidden.type = "hidden";
          hidden.name = submitter.name;
          hidden.value = submitter.value;
          form.appendChild(hidden);
        }
        form.submit();
      }).then(function () {
        delete card.dataset.pending;
      });
    });
  });
})();
