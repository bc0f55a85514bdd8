from __future__ import annotations

from django.urls import path

from emailsync import views

app_name = "emailsync"

urlpatterns = [
    path("sync/", views.sync_now, name="sync"),
    path("history/", views.history, name="history"),
    path("messages/<int:receipt_id>/retry/", views.retry_message, name="retry"),
]

# Pages of the account that need the mailbox. scheduler_site.urls puts them under /accounts/ in the
# "accounts" namespace beside accounts' own, so their addresses and names read as the account's.
account_urlpatterns = [
    path("demo-login/", views.demo_login, name="demo-login"),
    path("settings/mailbox/", views.mailbox_connect, name="mailbox-connect"),
    path("settings/export/", views.data_export, name="export"),
    path("settings/mailbox/upload/", views.mailbox_upload_view, name="mailbox-upload"),
    path("settings/mailbox/imap/", views.mailbox_imap, name="mailbox-imap"),
]
