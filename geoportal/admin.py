"""Admin for the shared core, with map widgets for districts and agencies."""
from __future__ import annotations

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from django.contrib.gis.admin import GISModelAdmin
from django.contrib.gis.forms.widgets import OSMWidget

from .models import Agency, CitizenProfile, District, StaffMembership, User


class LocalOSMWidget(OSMWidget):
    """Django's OSM widget with OpenLayers served from our static files (vendored from npm)
    instead of a CDN; only the base-map tiles come from the network."""

    class Media:
        extend = False
        css = {"all": ("vendor/ol/ol.css", "gis/css/ol3.css")}
        js = ("vendor/ol/ol.js", "gis/js/OLMapWidget.js")


class MapAdmin(GISModelAdmin):
    gis_widget = LocalOSMWidget  # type: ignore[assignment]  # django-stubs types it as an instance
    gis_widget_kwargs = {"attrs": {"default_lat": 56.3269, "default_lon": 44.0059, "default_zoom": 10}}


@admin.register(District)
class DistrictAdmin(MapAdmin):
    list_display = ["name", "code", "population"]
    search_fields = ["name", "code"]


class StaffInline(admin.TabularInline):
    model = StaffMembership
    extra = 0
    autocomplete_fields = ["user"]


@admin.register(Agency)
class AgencyAdmin(MapAdmin):
    list_display = ["short_name", "name", "kind", "parent", "is_active"]
    list_filter = ["kind", "is_active"]
    search_fields = ["name", "short_name"]
    filter_horizontal = ["districts"]
    inlines = [StaffInline]


class ProfileInline(admin.StackedInline):
    model = CitizenProfile
    extra = 0


@admin.register(User)
class PortalUserAdmin(UserAdmin):
    list_display = ["username", "role", "is_staff", "is_active"]
    list_filter = ["role", "is_staff", "is_active"]
    fieldsets = (*UserAdmin.fieldsets, ("Геопортал", {"fields": ["role"]}))  # type: ignore[misc]
    inlines = [ProfileInline]
