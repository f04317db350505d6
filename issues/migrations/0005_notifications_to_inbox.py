# The notification models now belong to the inbox app (inbox.0001); their tables and rows stay.

from django.db import migrations

MODELS = ["notification", "notificationpreference"]


def relabel(from_app: str, to_app: str):
    """Move the content types too, so permissions and admin history follow the models (on a
    fresh database there are none yet: post_migrate creates them under the new app)."""
    def run(apps, schema_editor):
        content_type = apps.get_model("contenttypes", "ContentType")
        for model in MODELS:
            if content_type.objects.filter(app_label=from_app, model=model).exists():
                # one made afresh by post_migrate meanwhile gives way to the one with the history
                content_type.objects.filter(app_label=to_app, model=model).delete()
                content_type.objects.filter(app_label=from_app, model=model).update(app_label=to_app)
    return run


class Migration(migrations.Migration):

    dependencies = [
        ('issues', '0004_alter_notification_kind_and_more'),
        ('inbox', '0001_initial'),
        ('contenttypes', '0002_remove_content_type_name'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[
                migrations.DeleteModel(name='Notification'),
                migrations.DeleteModel(name='NotificationPreference'),
            ],
        ),
        migrations.RunPython(relabel("issues", "inbox"), relabel("inbox", "issues")),
    ]
