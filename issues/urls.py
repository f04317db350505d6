"""Pages of the appeals app mounted at the site root: the report flow, an appeal, my appeals,
the agency queue, the operator's desk (``pages.py``, ``pages_desk.py``) and the checked photo
files. The addresses and names are the ones the site always had."""
from __future__ import annotations

from django.urls import URLPattern, path

from . import pages, pages_desk
from .photo_views import appeal_photo

urlpatterns: list[URLPattern] = [
    path("photos/appeals/<int:pk>/<str:variant>.jpg", appeal_photo, name="appeal-photo"),
    path("report/", pages.report, name="report"),
    path("appeals/<int:pk>/", pages.appeal_page, name="appeal-page"),
    path("my/", pages.my_appeals, name="my-appeals"),
    path("queue/", pages.queue, name="queue"),
    path("desk/", pages_desk.desk_page, name="desk"),
    path("desk/items/", pages_desk.desk_items, name="desk-items"),
    path("desk/<int:pk>/duplicates/", pages_desk.desk_duplicates, name="desk-duplicates"),
    path("desk/new/", pages_desk.desk_register, name="desk-register"),
    path("desk/registered/<int:pk>/", pages_desk.desk_registered, name="desk-registered"),
]
