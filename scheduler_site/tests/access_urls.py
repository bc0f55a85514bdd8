"""The site's URLs plus one that has no row in the access table, for proving that the table's
completeness check names it (test_access.test_the_completeness_check_names_a_pattern_added_without_a_row)."""

from __future__ import annotations

from django.urls import include, path

from scheduler_site.tests.test_access import throwaway_view
from scheduler_site.urls import urlpatterns as site_urlpatterns

exports = ([path("exports/<int:export_id>/", throwaway_view, name="download")], "exports")

urlpatterns = [*site_urlpatterns, path("", include(exports))]
