from __future__ import annotations

from django import forms


class TaskEditForm(forms.Form):
    title = forms.CharField(max_length=120)
    due_at = forms.DateTimeField(
        required=False, label="Due", widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
    )
    duration_minutes = forms.IntegerField(required=False, min_value=5, max_value=24 * 60, label="Minutes")
