// techmatch: the posting coach on the form. "Check hints" posts the draft to /postings/check
// and shows the hints next to the fields without leaving the page; without script the same
// button shows the form again with the hints. No inline script.
(function () {
  "use strict";
  function ready(fn) {
    if (document.readyState !== "loading") { fn(); } else { document.addEventListener("DOMContentLoaded", fn); }
  }
  ready(function () {
    var button = document.getElementById("check-hints");
    var summary = document.getElementById("coach-summary");
    if (!button || !summary || !window.fetch) { return; }
    var form = button.form;
    function show(hints) {
      document.querySelectorAll("ul.hints[data-field]").forEach(function (list) {
        while (list.firstChild) { list.removeChild(list.firstChild); }
      });
      hints.forEach(function (hint) {
        var list = document.getElementById("hints-" + hint.field) || document.getElementById("hints-description");
        var item = document.createElement("li");
        item.className = "hint";
        item.setAttribute("data-code", hint.code);
        item.textContent = hint.message;
        list.appendChild(item);
      });
      var strong = document.createElement("strong");
      strong.textContent = hints.length ? summary.getAttribute("data-title").replace("{n}", String(hints.length)) : summary.getAttribute("data-none");
      while (summary.firstChild) { summary.removeChild(summary.firstChild); }
      summary.appendChild(strong);
      summary.hidden = false;
      summary.setAttribute("data-checked", String(Date.now()));
    }
    button.addEventListener("click", function (event) {
      event.preventDefault();
      button.disabled = true;
      fetch("/postings/check", {
        method: "POST",
        body: new FormData(form),
        headers: { "Accept": "application/json" },
        credentials: "same-origin"
      }).then(function (response) {
        if (!response.ok) { throw new Error(String(response.status)); }
        return response.json();
      }).then(function (body) { show(body.hints); })
        .catch(function () { form.action = "/postings/check"; form.submit(); })
        .then(function () { button.disabled = false; });
    });
  });
}());
