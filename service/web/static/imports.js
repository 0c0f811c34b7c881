// techmatch: the booth-list import pages. The job page follows its job (progress bar)
// and reloads when it is done; the form checks the file size before uploading.
// No inline script; without JavaScript the job page refreshes itself.
(function () {
  "use strict";
  function ready(fn) {
    if (document.readyState !== "loading") { fn(); } else { document.addEventListener("DOMContentLoaded", fn); }
  }
  function watchFile() {
    var input = document.getElementById("import-file");
    if (!input) { return; }
    var message = document.getElementById("import-file-error");
    var submit = document.getElementById("import-submit");
    var limit = parseInt(input.getAttribute("data-max-bytes"), 10) || 0;
    input.addEventListener("change", function () {
      var file = input.files && input.files[0];
      var tooLarge = Boolean(file && limit && file.size > limit);
      message.hidden = !tooLarge;
      message.textContent = tooLarge ? input.getAttribute("data-too-large") : "";
      input.setAttribute("aria-invalid", tooLarge ? "true" : "false");
      if (submit) { submit.disabled = tooLarge; }
    });
  }
  function followJob() {
    var box = document.getElementById("import-status");
    if (!box) { return; }
    var state = box.getAttribute("data-state");
    if (state === "done" || state === "failed") { return; }
    var url = box.getAttribute("data-status-url");
    var bar = document.getElementById("import-progress");
    var label = document.getElementById("import-progress-label");
    var badge = document.getElementById("import-state");
    var template = box.getAttribute("data-progress-text") || "{done}/{total}";
    function show(job) {
      bar.max = Math.max(job.rows_total, 1);
      bar.value = job.rows_done;
      label.textContent = template.replace("{done}", job.rows_done).replace("{total}", job.rows_total);
      badge.textContent = job.state_label;
      badge.className = "badge " + job.state;
      ["created", "updated", "failed"].forEach(function (name) {
        var cell = document.getElementById("count-" + name);
        if (cell) { cell.textContent = job[name]; }
      });
    }
    function poll() {
      fetch(url, { credentials: "same-origin", cache: "no-store", headers: { Accept: "application/json" } })
        .then(function (response) {
          if (!response.ok) { throw new Error("HTTP " + response.status); }
          return response.json();
        })
        .then(function (job) {
          show(job);
          if (job.state === "done" || job.state === "failed") {
            window.setTimeout(function () { window.location.reload(); }, 300);
          } else {
            window.setTimeout(poll, 500);
          }
        })
        .catch(function () { window.setTimeout(poll, 2000); });
    }
    window.setTimeout(poll, 200);
  }
  ready(function () {
    watchFile();
    followJob();
  });
})();
