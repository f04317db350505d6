from __future__ import annotations

from django.apps import AppConfig


class TilesConfig(AppConfig):
    name = "tiles"

    def ready(self) -> None:
        from django.db.models.signals import post_delete, post_save

        from geoportal.models import Agency, District
        from issues.actions import appeal_change_delivered, appeal_changed
        from issues.models import Category

        from . import signals
        from .layers import project_model

        appeal_changed.connect(signals.appeal_changed, dispatch_uid="tiles.appeal_changed")
        appeal_change_delivered.connect(signals.appeal_change_delivered, dispatch_uid="tiles.appeal_change_delivered")
        # Names shown in appeal tiles, and the district polygons, change rarely: drop the layer.
        for model, layer in ((Category, "appeals"), (Agency, "appeals"), (District, "districts")):
            handler = signals.layer_changed(layer)
            post_save.connect(handler, sender=model, weak=False, dispatch_uid=f"tiles.{layer}.{model.__name__}.save")
            post_delete.connect(handler, sender=model, weak=False,
                                dispatch_uid=f"tiles.{layer}.{model.__name__}.delete")
        project = project_model()
        if project is not None:
            handler = signals.layer_changed("projects")
            post_save.connect(handler, sender=project, weak=False, dispatch_uid="tiles.projects.save")
            post_delete.connect(handler, sender=project, weak=False, dispatch_uid="tiles.projects.delete")
