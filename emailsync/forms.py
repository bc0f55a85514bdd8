"""The mail card's forms on the settings page: connect a folder of the mail area, upload mail."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.files.uploadedfile import UploadedFile


class LocalMailboxForm(forms.Form):
    # Relative to the user's own mail area; the service resolves it and refuses anything outside.
    folder = forms.CharField(
        max_length=500,
        required=False,
        label="Folder in your mail area",
        help_text="Leave empty for your uploaded mail, or name a folder the site's operator placed there.",
    )


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Every chosen file, as a list (a plain FileField keeps only the last one)."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(**kwargs)

    def clean(self, data: Any, initial: Any = None) -> list[UploadedFile]:
        items = data if isinstance(data, list | tuple) else [data]
        return [super(MultipleFileField, self).clean(item, initial) for item in items if item]


class MailUploadForm(forms.Form):
    mail = MultipleFileField(
        # Empty files and a missing choice are refused by the upload service, with a message naming them.
        allow_empty_file=True,
        required=False,
        label="Upload mail",
        widget=MultipleFileInput(attrs={"accept": ".eml,.mbox,message/rfc822,application/mbox"}),
    )


class ImapMailboxForm(forms.Form):
    """The details of an IMAP mailbox. The password is never rendered back."""

    host = forms.CharField(max_length=253, label="Server", help_text="For example imap.fastmail.com")
    security = forms.ChoiceField(
        label="Encryption",
        choices=[("tls", "Implicit TLS (port 993)"), ("starttls", "STARTTLS (port 143)")],
        initial="tls",
    )
    port = forms.IntegerField(min_value=1, max_value=65535, initial=993, label="Port")
    username = forms.CharField(max_length=320, label="Username", help_text="Usually your email address")
    password = forms.CharField(
        max_length=1000,
        label="App password",
        strip=False,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
        help_text="Stored encrypted and never shown again. Most providers want an app password here.",
    )
    folder = forms.CharField(max_length=500, initial="INBOX", label="Folder")
    allow_self_signed = forms.BooleanField(
        required=False,
        label="The server uses a self-signed certificate",
        help_text="Trust the certificate the server shows now, and only that one. Leave off for providers.",
    )

    # What is kept in the session to fill the form again after an error: everything but the password.
    REMEMBERED = ("host", "security", "port", "username", "folder", "allow_self_signed")
