from __future__ import annotations

from django.urls import URLPattern, path

from . import views, views_notifications

urlpatterns: list[URLPattern] = [
    path("", views.home, name="home"),
    path("pages/<slug:slug>/", views.page_view, name="infocenter-page"),
    path("pages/<slug:slug>/edit/", views.page_edit, name="infocenter-page-edit"),
    path("search/", views.search_view, name="infocenter-search"),
    path("library/", views.library, name="infocenter-library"),
    path("library/<slug:slug>/", views.document_view, name="infocenter-document"),
    path("notifications/", views_notifications.notification_centre, name="notification-centre"),
    path("notifications/<int:pk>/", views_notifications.open_notification, name="notification-open"),
]
