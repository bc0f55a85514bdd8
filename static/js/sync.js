// Starts a sync from the dashboard button and follows it with the status API until it ends, without
// reloading the page: the bar, the phase and the counters move live; at the end one sentence says what
// happened and, when something went wrong, what to do. The task lists are then refreshed in place.
(function () {
  "use strict";
  var form = document.getElementById("sync-form");
  var wrap = document.getElementById("sync-progress");
  if (!form || !wrap) return;
  var button = document.getElementById("sync-button");
  var bar = document.getElementById("sync-bar");
  var progress = document.getElementById("sync-progressbar");
  var phaseText = document.getElementById("sync-phase");
  var result = document.getElementById("sync-result");
  var resultBox = document.getElementById("sync-result-box");
  var next = document.getElementById("sync-next");
  var nextText = document.getElementById("sync-next-text");
  var reconnect = document.getElementById("reconnect-form");
  var toSettings = document.getElementById("next-settings");
  var toHistory = document.getElementById("next-history");
  var waitingList = document.getElementById("sync-waiting");
  var template = wrap.dataset.statusUrlTemplate;
  var csrf = form.querySelector("input[name=csrfmiddlewaretoken]").value;
  var order = ["waiting", "listing", "reading", "scheduling", "done"];

  function percent(run) {
    var c = run.counters;
    if (run.finished) return 100;
    if (run.phase === "scheduling") return 95;
    if (run.backlog) return Math.min(90, 5 + Math.round((85 * run.backlog.read) / run.backlog.total));
    if (!c.messages_found) return run.state === "running" ? 5 : 2;
    return Math.min(90, 5 + Math.round((85 * c.messages_seen) / c.messages_found));
  }

  function showNextStep(step) {
    var action = step ? step.action : "";
    next.hidden = !step;
    nextText.textContent = step ? step.text : "";
    var canReconnect = reconnect && reconnect.getAttribute("action");
    if (reconnect) reconnect.hidden = !(action === "reconnect" && canReconnect);
    toSettings.hidden = !(action === "settings" || (action === "reconnect" && !canReconnect));
    toHistory.hidden = action !== "history";
  }

  // Work the finished run left for later (messages not read, tasks not on the calendar), one line each.
  function showWaiting(waiting) {
    var sentences = waiting ? waiting.sentences : [];
    waitingList.replaceChildren();
    sentences.forEach(function (sentence) {
      var li = document.createElement("li");
      li.textContent = sentence;
      waitingList.appendChild(li);
    });
    waitingList.hidden = sentences.length === 0;
  }

  function showPhase(phase) {
    var reached = order.indexOf(phase);
    wrap.querySelectorAll(".phases li").forEach(function (li) {
      var index = order.indexOf(li.dataset.phase);
      li.classList.toggle("is-done", index < reached || phase === "done");
      li.classList.toggle("is-current", index === reached && phase !== "done");
      if (index === reached) li.setAttribute("aria-current", "step"); else li.removeAttribute("aria-current");
    });
  }

  function setCounter(name, value) {
    var el = wrap.querySelector('[data-counter="' + name + '"]');
    if (el) el.textContent = value;
  }

  function refreshTasks() {
    fetch(window.location.href, { credentials: "same-origin", headers: { Accept: "text/html" } })
      .then(function (r) { return r.text(); })
      .then(function (html) {
        var doc = new DOMParser().parseFromString(html, "text/html");
        ["task-region", "sync-when"].forEach(function (id) {
          var fresh = doc.getElementById(id), old = document.getElementById(id);
          if (fresh && old) old.innerHTML = fresh.innerHTML;
        });
        var freshNav = doc.querySelector(".mainnav"), oldNav = document.querySelector(".mainnav");
        if (freshNav && oldNav) oldNav.innerHTML = freshNav.innerHTML;
        var help = document.getElementById("first-sync-help");
        if (help) help.remove();
      });
  }

  function show(run) {
    var c = run.counters;
    var value = percent(run);
    wrap.hidden = false;
    bar.style.width = value + "%";
    progress.setAttribute("aria-valuenow", String(value));
    progress.setAttribute("aria-valuetext", run.phase_label + ", " + value + "%");
    showPhase(run.finished ? "done" : run.phase);
    // A backlog larger than one run reads is counted as a whole ("1,200 of 2,000"), over the runs reading it.
    var read = run.backlog ? [run.backlog.read, run.backlog.total] : [c.messages_seen, c.messages_found];
    setCounter("read", read[0].toLocaleString() + " of " + read[1].toLocaleString());
    ["messages_skipped", "messages_processed", "tasks_created", "events_scheduled"].forEach(function (k) {
      setCounter(k, c[k]);
    });
    phaseText.textContent = run.phase_label;
    result.textContent = run.summary;
    resultBox.classList.toggle("is-error", run.state === "failed");
    wrap.classList.toggle("is-finished", !!run.finished);
    wrap.classList.toggle("is-failed", run.state === "failed");
    if (run.finished) {
      button.disabled = false;
      button.textContent = "Sync emails";
      showNextStep(run.next_step);
      showWaiting(run.waiting);
      refreshTasks();
    } else {
      showNextStep(null);
      showWaiting(null);
    }
  }

  function follow(taskId) {
    button.disabled = true;
    button.textContent = "Syncing…";
    var url = template.replace("00000000-0000-0000-0000-000000000000", taskId);
    function poll() {
      fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" })
        .then(function (r) { if (!r.ok) throw new Error("status " + r.status); return r.json(); })
        .then(function (run) {
          show(run);
          if (!run.finished) setTimeout(poll, 600);
          // The backlog goes on in a follow-up run: follow that one, as if the user had pressed again.
          else if (run.follow_up) follow(run.follow_up.task_id);
        })
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
        if (!res.ok) {
          result.textContent = res.body.error || "The sync could not start.";
          resultBox.classList.add("is-error");
          showNextStep(res.body.next_step || null);
          button.disabled = false;
          return;
        }
        show(res.body);
        if (!res.body.finished) {
          // With nothing listed yet, let the task region say that the mail is being read.
          if (!document.querySelector("#task-region .groups")) refreshTasks();
          follow(res.body.task_id);
        }
      })
      .catch(function () {
        result.textContent = "The sync could not start: the server did not answer. Check your connection and try again.";
        button.disabled = false;
      });
  });

  if (wrap.dataset.taskId) follow(wrap.dataset.taskId);
})();
