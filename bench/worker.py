"""The bench's own processes, started with the bench's environment:

- ``python -m bench.worker first-sync USER_ID``: syncs one user's mailbox until a sync finds nothing new,
  then prints what it did and its peak memory as one JSON line;
- ``python -m bench.worker trigger USER_ID...``: sends a probe job through the configured broker and waits
  for a worker to run it, then triggers a sync of each user as the dashboard's button does (enqueued on the
  broker that this process's settings name: the ORM or Redis).
"""

from __future__ import annotations

import json
import resource
import sys
import time


def first_sync(user_id: int) -> None:
    from django.contrib.auth import get_user_model

    from bench.users import sync_now
    from emailsync.models import MessageReceipt, SyncRun
    from tasks_app.models import Task

    user = get_user_model().objects.get(pk=user_id)
    started = time.monotonic()
    runs = failed = 0
    for _ in range(50):
        run = sync_now(user)
        runs += 1
        failed += run.state != SyncRun.State.SUCCEEDED
        if run.messages_found == 0 or run.state != SyncRun.State.SUCCEEDED:
            break
    done = MessageReceipt.objects.filter(mailbox__user=user, status__in=MessageReceipt.FINAL_STATUSES).count()
    print(
        json.dumps(
            {
                "runs": runs,
                "failed_runs": failed,
                "messages_done": done,
                "tasks": Task.objects.filter(user=user).count(),
                "seconds": time.monotonic() - started,
                # Linux reports ru_maxrss in KiB.
                "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
            }
        )
    )


def trigger(user_ids: list[int]) -> None:
    from django.contrib.auth import get_user_model
    from django_q.tasks import async_task, result

    from emailsync.models import SyncRun
    from emailsync.services import sync_trigger

    probe = async_task("math.floor", 1.5)
    deadline = time.monotonic() + 120
    while result(probe) is None:
        if time.monotonic() > deadline:
            sys.exit("no worker ran the probe job within 120 s")
        time.sleep(0.1)
    users = list(get_user_model().objects.filter(pk__in=user_ids))
    for user in users:
        sync_trigger(user=user, trigger=SyncRun.Trigger.BUTTON)
    print(json.dumps({"triggered": len(users)}))


def main(argv: list[str]) -> None:
    import django

    django.setup()
    command, *args = argv
    if command == "first-sync":
        first_sync(int(args[0]))
    elif command == "trigger":
        trigger([int(a) for a in args])
    else:
        sys.exit(f"unknown command {command!r}")


if __name__ == "__main__":
    main(sys.argv[1:])
