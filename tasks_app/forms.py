from __future__ import annotations

from typing import Any, cast

from django import forms

from tasks_app.extractors import MAX_TITLE_LENGTH

_LOCAL_INPUT = ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"]


class TaskEditForm(forms.Form):
    title = forms.CharField(max_length=MAX_TITLE_LENGTH)
    due_at = forms.DateTimeField(
        required=False,
        label="Due",
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
        input_formats=_LOCAL_INPUT,
    )
    duration_minutes = forms.IntegerField(required=False, min_value=5, max_value=24 * 60, label="Minutes")


class TaskMoveForm(forms.Form):
    """Either a new start for the block (in the user's zone) or "next free slot"; ``confirm`` accepts a start
    that is outside working hours or over something else."""

    start = forms.DateTimeField(
        required=False,
        label="New start",
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
        input_formats=_LOCAL_INPUT,
    )
    next_free = forms.BooleanField(required=False)
    # Set by the "Move anyway" button, after the page showed why the time may be a bad idea.
    confirm = forms.BooleanField(required=False, widget=forms.HiddenInput)

    def clean(self) -> dict[str, object]:
        data = super().clean() or {}
        if not data.get("next_free") and not data.get("start"):
            raise forms.ValidationError("Pick a new start time, or ask for the next free slot.")
        return data


class ReviewForm(forms.Form):
    """Approve or reject several proposed tasks at once."""

    decision = forms.ChoiceField(choices=[("approve", "Approve"), ("reject", "Reject")])
    task_ids = forms.TypedMultipleChoiceField(coerce=int, choices=[], required=False)

    def __init__(self, *args: Any, task_ids: list[int], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.TypedMultipleChoiceField, self.fields["task_ids"]).choices = [(i, i) for i in task_ids]

    def clean_task_ids(self) -> list[int]:
        ids = self.cleaned_data["task_ids"]
        if not ids:
            raise forms.ValidationError("Select at least one task.")
        return ids
