from __future__ import annotations

from django.contrib.auth import views as auth_views
from django.urls import path

from accounts import views

app_name = "accounts"

urlpatterns = [
    path("login/", auth_views.LoginView.as_view(template_name="accounts/login.html"), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("settings/", views.settings_page, name="settings"),
    path("settings/tokens/", views.token_create, name="token-create"),
    path("settings/tokens/<int:token_id>/revoke/", views.token_revoke, name="token-revoke"),
    path("settings/feed/regenerate/", views.feed_regenerate, name="feed-regenerate"),
    path("settings/delete/", views.account_delete, name="delete"),
    path("settings/google/disconnect/", views.google_disconnect, name="google-disconnect"),
]
