"""Mail content in the admin is for superusers only.

Staff who are not superusers may be given view or change permissions to look after syncs, mailboxes and
tasks; that must not let them read people's mail. A ModelAdmin lists the fields that carry mail content
in ``content_fields`` and mixes in ``MailContentAdminMixin``: for anyone but a superuser those fields leave
list columns, filters, search, change forms and read-only displays, filtering on them in the URL is
refused, and the object's own name (``str(obj)``, often a subject or title) is replaced by its type and id
wherever the admin would print it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from django.contrib.admin.exceptions import DisallowedModelAdminLookup
from django.contrib.admin.utils import unquote
from django.db.models import Model, QuerySet
from django.http import HttpRequest, HttpResponse
from django.utils.safestring import SafeString
from django.utils.text import capfirst

if TYPE_CHECKING:
    from django.contrib.admin import ModelAdmin

    _Base = ModelAdmin[Any]
else:
    _Base = object


def may_see_mail_content(request: HttpRequest) -> bool:
    user = getattr(request, "user", None)
    return bool(user is not None and user.is_active and user.is_superuser)


class RedactedObject:
    """Stands in for a model instance in admin pages and log entries: everything but its name is the
    object's own, so links (``.pk``) and content types (``._meta``) still work."""

    def __init__(self, obj: Model) -> None:
        self._obj = obj

    def __getattr__(self, name: str) -> Any:
        return getattr(self._obj, name)

    def __str__(self) -> str:
        return redacted_name(self._obj._meta.verbose_name, self._obj.pk)


def redacted_name(verbose_name: object, pk: object) -> str:
    return f"{capfirst(str(verbose_name))} #{pk}"


class MailContentAdminMixin(_Base):
    """Hide ``content_fields`` from staff who are not superusers. Names may be model fields, list_display
    method names, or lookups; a lookup is content when its first part is (``source`` covers
    ``source__subject``)."""

    content_fields: Sequence[str] = ()

    def is_content(self, name: object) -> bool:
        if not isinstance(name, str):
            return False
        bare = name.lstrip("^=@")
        return bare in self.content_fields or bare.split("__", 1)[0] in self.content_fields

    def _without_content(self, names: Iterable[Any]) -> list[Any]:
        return [name for name in names if not self.is_content(name)]

    def get_list_display(self, request: HttpRequest) -> list[Any]:
        names = list(super().get_list_display(request))
        return names if may_see_mail_content(request) else self._without_content(names)

    def get_list_filter(self, request: HttpRequest) -> list[Any]:
        filters = list(super().get_list_filter(request))
        return filters if may_see_mail_content(request) else self._without_content(filters)

    def get_search_fields(self, request: HttpRequest) -> list[str]:
        fields = list(super().get_search_fields(request))
        if may_see_mail_content(request):
            return fields
        # The autocomplete view answers with each match's name, which is content: offer none.
        if request.resolver_match is not None and request.resolver_match.url_name == "autocomplete":
            return []
        return self._without_content(fields)

    def lookup_allowed(self, lookup: str, value: str, request: HttpRequest) -> bool:
        # Otherwise ?subject__startswith=A would spell out a subject one letter at a time through the count.
        if not may_see_mail_content(request) and self.is_content(lookup):
            raise DisallowedModelAdminLookup(f"Filtering on {lookup} is not allowed")
        return super().lookup_allowed(lookup, value, request)

    def get_fieldsets(self, request: HttpRequest, obj: Model | None = None) -> list[Any]:
        fieldsets = list(super().get_fieldsets(request, obj))
        if may_see_mail_content(request):
            return fieldsets
        kept: list[Any] = []
        for name, options in fieldsets:
            fields: list[Any] = []
            for entry in options.get("fields", ()):
                if isinstance(entry, list | tuple):  # fields shown on one line
                    line = self._without_content(entry)
                    if line:
                        fields.append(tuple(line))
                elif not self.is_content(entry):
                    fields.append(entry)
            if fields:
                kept.append((name, {**options, "fields": fields}))
        return kept

    def action_checkbox(self, obj: Model) -> SafeString:
        # The checkbox's label is the object's name; the request is not at hand, so it never names it.
        return super().action_checkbox(RedactedObject(obj))

    def _named(self, request: HttpRequest, obj: Model) -> Model:
        return obj if may_see_mail_content(request) else RedactedObject(obj)  # type: ignore[return-value]

    def _redacted_context(
        self, request: HttpRequest, object_id: str, extra_context: dict[str, Any] | None, **names: str
    ) -> dict[str, Any] | None:
        if may_see_mail_content(request):
            return extra_context
        obj = self.get_object(request, unquote(object_id))
        if obj is None:
            return extra_context
        redacted = RedactedObject(obj)
        context: dict[str, Any] = {key: template % redacted for key, template in names.items()}
        return {**(extra_context or {}), **context, "original": redacted, "object": redacted}

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        context = self._redacted_context(request, object_id, extra_context, subtitle="%s")
        return super().change_view(request, object_id, form_url, context)

    def history_view(
        self, request: HttpRequest, object_id: str, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        context = self._redacted_context(request, object_id, extra_context, title="Change history: %s")
        return super().history_view(request, object_id, context)

    def delete_view(
        self, request: HttpRequest, object_id: str, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        return super().delete_view(
            request, object_id, self._redacted_context(request, object_id, extra_context)
        )

    def get_deleted_objects(
        self, objs: Sequence[Model] | QuerySet[Any], request: HttpRequest
    ) -> tuple[list[Any], dict[str, int], set[str], list[Any]]:
        to_delete, model_count, perms_needed, protected = super().get_deleted_objects(objs, request)
        if may_see_mail_content(request):
            return to_delete, model_count, perms_needed, protected
        # The usual list names every related object (a receipt's tasks by title); counts say enough.
        summary = [f"{capfirst(str(name))}: {count}" for name, count in model_count.items()]
        hidden = [f"{len(protected)} protected object(s)"] if protected else []
        return summary, model_count, perms_needed, hidden

    def response_change(self, request: HttpRequest, obj: Model) -> HttpResponse:
        return super().response_change(request, self._named(request, obj))

    def response_delete(self, request: HttpRequest, obj_display: str, obj_id: int) -> HttpResponse:
        if not may_see_mail_content(request):
            obj_display = redacted_name(self.opts.verbose_name, obj_id)
        return super().response_delete(request, obj_display, obj_id)

    # The admin's log keeps each object's name; a staff member's own "Recent actions" would show it.
    def log_change(self, request: HttpRequest, obj: Model, message: Any) -> Any:
        return super().log_change(request, self._named(request, obj), message)

    def log_deletions(self, request: HttpRequest, queryset: Iterable[Model]) -> Any:
        # Django's own delete view passes a list too; the stubs say QuerySet.
        named = [self._named(request, obj) for obj in queryset]
        return super().log_deletions(request, named)  # type: ignore[arg-type]
