// The admin's import-job page: follows the job's status URL once a second, moves the bar, and reloads the page
// when the job is over (the page then shows the counts or the errors). A script file: the admin's CSP refuses
// inline scripts.
(function () {
  "use strict";
  const POLL_MS = 1000;

  function show(progress) {
    const bar = document.getElementById("import-progress");
    bar.value = progress.percent;
    bar.textContent = progress.percent + "%";
    document.getElementById("import-percent").textContent = progress.percent + "%";
    document.getElementById("import-phase").textContent = progress.phase;
    const total = progress.rows_total ? " of " + progress.rows_total : "";
    document.getElementById("import-rows").textContent = (progress.rows_done || 0) + total;
  }

  function follow(job) {
    fetch(job.dataset.statusUrl, {credentials: "same-origin", headers: {Accept: "application/json"}})
      .then((response) => (response.ok ? response.json() : null))
      .then((progress) => {
        if (progress) {
          show(progress);
          if (progress.state === "done" || progress.state === "failed") {
            window.location.reload();
            return;
          }
        }
        window.setTimeout(() => follow(job), POLL_MS);
      })
      .catch(() => window.setTimeout(() => follow(job), POLL_MS * 5));  // the server restarting: try again
  }

  document.addEventListener("DOMContentLoaded", () => {
    const job = document.getElementById("import-job");
    if (job && job.dataset.state !== "done" && job.dataset.state !== "failed") {
      follow(job);
    }
  });
})();
