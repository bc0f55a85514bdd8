from __future__ import annotations

from django import forms

from accounts.models import Profile
from accounts.timezones import UnknownTimeZone, timezone_resolve, zone_options

WEEKDAYS = [(1, "Mon"), (2, "Tue"), (3, "Wed"), (4, "Thu"), (5, "Fri"), (6, "Sat"), (7, "Sun")]
SYNC_CHOICES = [
    ("", "Off (only when I ask)"),
    ("15", "Every 15 minutes"),
    ("30", "Every 30 minutes"),
    ("60", "Every hour"),
    ("240", "Every 4 hours"),
    ("1440", "Once a day"),
]


# The suggestions of the time-zone box: every zone, labelled with its city and country.
TIMEZONES = zone_options()


class ProfileForm(forms.ModelForm):
    # A text box with a list of suggestions: typing "ber" or "germ" offers Europe/Berlin, no script needed;
    # a city or country typed in full is resolved on the server.
    timezone = forms.CharField(
        label="Time zone",
        widget=forms.TextInput(attrs={"list": "timezone-list", "autocomplete": "off", "spellcheck": "false"}),
        help_text="Type a city or country, e.g. New York, Berlin, Kolkata, Germany.",
    )
    work_days = forms.TypedMultipleChoiceField(
        choices=WEEKDAYS, coerce=int, widget=forms.CheckboxSelectMultiple, label="Working days"
    )
    periodic_sync_minutes = forms.TypedChoiceField(
        choices=SYNC_CHOICES, coerce=int, empty_value=None, required=False, label="Automatic sync"
    )

    class Meta:
        model = Profile
        fields = [
            "timezone",
            "work_start",
            "work_end",
            "work_days",
            "approval_required",
            "periodic_sync_minutes",
            "skip_senders",
        ]
        widgets = {
            "work_start": forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
            "work_end": forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
            "skip_senders": forms.Textarea(
                attrs={"rows": 3, "placeholder": "news@example.com\n@marketing.example"}
            ),
        }
        labels = {
            "approval_required": "Ask me before putting new tasks on the calendar",
            "work_start": "Working day starts",
            "work_end": "Working day ends",
            "skip_senders": "Always skip mail from",
        }
        help_texts = {
            "approval_required": "New tasks then wait in the review queue until you approve them.",
            "skip_senders": "One address (news@example.com) or domain (@example.com) per line.",
        }

    def clean_timezone(self) -> str:
        try:
            return timezone_resolve(self.cleaned_data["timezone"])
        except UnknownTimeZone as e:
            raise forms.ValidationError(str(e)) from e

    def clean(self) -> dict[str, object]:
        # Hours that end before they start are refused by the model's work_hours_order constraint, with
        # its plain message, so the admin and the form say the same once.
        data = super().clean() or {}
        if not data.get("work_days"):
            self.add_error("work_days", "Pick at least one working day.")
        return data


class ApiTokenForm(forms.Form):
    name = forms.CharField(max_length=100, label="Token name", initial="My script")
