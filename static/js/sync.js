// Starts a sync from the dashboard button and follows it with the status API until it ends.
(function () {
  "use strict";
  const form = document.getElementById("sync-form");
  const wrap = document.getElementById("sync-progress");
  if (!form || !wrap) return;
  const button = document.getElementById("sync-button");
  const bar = document.getElementById("sync-bar");
  const phase = document.getElementById("sync-phase");
  const result = document.getElementById("sync-result");
  const progress = wrap.querySelector("[role=progressbar]");
  const template = wrap.dataset.statusUrlTemplate;
  const csrf = form.querySelector("input[name=csrfmiddlewaretoken]").value;

  function percent(run) {
    const c = run.counters;
    if (run.finished) return 100;
    if (run.phase === "scheduling") return 95;
    if (!c.messages_found) return run.state === "running" ? 5 : 2;
    return Math.min(90, 5 + Math.round((85 * c.messages_seen) / c.messages_found));
  }

  function show(run) {
    const c = run.counters;
    const value = percent(run);
    wrap.hidden = false;
    bar.style.width = value + "%";
    progress.setAttribute("aria-valuenow", String(value));
    phase.textContent = run.phase_label + " · " + c.messages_seen + "/" + c.messages_found +
      " read · " + c.messages_skipped + " bulk skipped · " + c.tasks_created + " tasks · " +
      c.events_scheduled + " events placed";
    if (run.finished) {
      result.textContent = run.summary;
      button.disabled = false;
      button.textContent = "Sync emails";
      // Reload once so the new tasks show up in their groups.
      if (run.state === "succeeded") setTimeout(function () { window.location.reload(); }, 1200);
    } else {
      result.textContent = run.summary;
    }
  }

  function follow(taskId) {
    button.disabled = true;
    button.textContent = "Syncing…";
    const url = template.replace("00000000-0000-0000-0000-000000000000", taskId);
    function poll() {
      fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" })
        .then(function (r) { if (!r.ok) throw new Error("status " + r.status); return r.json(); })
        .then(function (run) { show(run); if (!run.finished) setTimeout(poll, 700); })
        .catch(function () { result.textContent = "Lost contact with the server; retrying…"; setTimeout(poll, 3000); });
    }
    poll();
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    button.disabled = true;
    fetch(form.action, { method: "POST", headers: { Accept: "application/json", "X-CSRFToken": csrf }, credentials: "same-origin" })
      .then(function (r) { return r.json().then(function (body) { return { ok: r.ok, body: body }; }); })
      .then(function (res) {
        if (!res.ok) { result.textContent = res.body.error || "The sync could not start."; button.disabled = false; return; }
        show(res.body);
        follow(res.body.task_id);
      })
      .catch(function () { result.textContent = "The sync could not start: the server did not answer."; button.disabled = false; });
  });

  if (wrap.dataset.taskId) follow(wrap.dataset.taskId);
})();
