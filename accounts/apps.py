from __future__ import annotations

from django.apps import AppConfig

# The daily schedule that deletes expired throwaway demo users (its name is how it is found and updated).
DEMO_CLEANUP_SCHEDULE = "accounts-demo-users-delete-expired"


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "Accounts"

    def ready(self) -> None:
        from accounts import api_schema, checks, signals  # noqa: F401
        from scheduler_site.schedules import maintenance_schedule

        maintenance_schedule(
            name=DEMO_CLEANUP_SCHEDULE, func="accounts.jobs.demo_users_delete_expired", minutes=24 * 60
        )
