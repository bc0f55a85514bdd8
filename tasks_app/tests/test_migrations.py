from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from emailsync.models import Mailbox, MessageReceipt
from tasks_app.models import Task


@pytest.mark.django_db(transaction=True)
def test_titles_longer_than_the_one_limit_are_cut_before_the_column_narrows() -> None:
    MigrationExecutor(connection).migrate([("tasks_app", "0002_task_needs_review")])
    # The column is 200 characters wide again: a title the API used to accept.
    user = User.objects.create(username="longtitle")
    mailbox = Mailbox.objects.create(user=user, location="/nowhere")
    receipt = MessageReceipt.objects.create(mailbox=mailbox, message_id="1.eml")
    Task.objects.create(user=user, source=receipt, position=0, title="x" * 200)

    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())

    assert len(Task.objects.get(user=user).title) == 120
