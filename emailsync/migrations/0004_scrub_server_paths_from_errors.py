"""Take server paths out of the errors stored before local-folder errors stopped naming them.

Run and mailbox errors are shown to users (sync history, dashboard, the API's status). Older versions wrote
"The mail folder /srv/... does not exist" and "Could not list /srv/...: [Errno 13] ..."; those rows get the
wording the source uses now. Nothing else in the text changes.
"""

from __future__ import annotations

import re

from django.apps.registry import Apps
from django.db import migrations
from django.db.backends.base.schema import BaseDatabaseSchemaEditor

MISSING = re.compile(r"The mail folder .+? does not exist or is not a folder\.")
UNLISTABLE = re.compile(r"Could not list .+?: (?:\[Errno -?\d+\] )?([^:'\[]+?)(?:: '[^']*')?(?=$|\s+The |\.)")


def scrub(text: str) -> str:
    text = MISSING.sub("The mail folder does not exist or is not a folder.", text)
    return UNLISTABLE.sub(lambda match: f"Could not list the mail folder ({match.group(1).strip()}).", text)


def scrub_rows(apps: Apps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    for model_name, field in (("SyncRun", "error"), ("Mailbox", "last_error")):
        model = apps.get_model("emailsync", model_name)
        rows = model.objects.filter(**{f"{field}__regex": r"The mail folder .|Could not list ."})
        for pk, text in rows.values_list("pk", field).iterator():
            clean = scrub(text)
            if clean != text:
                model.objects.filter(pk=pk).update(**{field: clean})


class Migration(migrations.Migration):
    dependencies = [
        ("emailsync", "0003_mailbox_stale_checkpoint_resyncs"),
    ]

    operations = [
        migrations.RunPython(scrub_rows, migrations.RunPython.noop),
    ]
