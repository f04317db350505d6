# The statistics' recount of a (month, category) slice reads only indexes (see Appeal.Meta and
# Rating.Meta). Built and dropped CONCURRENTLY: at ten million appeals a plain CREATE INDEX would
# hold writes on the appeals for minutes. The new appeal index has the old one's key, so the old
# one goes after it is built.

from django.contrib.postgres.operations import AddIndexConcurrently, RemoveIndexConcurrently
from django.db import migrations, models


class Migration(migrations.Migration):

    atomic = False

    dependencies = [
        ('issues', '0005_notifications_to_inbox'),
    ]

    operations = [
        AddIndexConcurrently(
            model_name='appeal',
            index=models.Index(fields=['category', 'received_at'], include=('id', 'district', 'responsible_agency', 'status', 'is_public', 'duplicate_of', 'registered_at', 'answered_at', 'deadline_at', 'redirect_count', 'reopen_count', 'kind', 'result'), name='appeal_category_received'),
        ),
        RemoveIndexConcurrently(
            model_name='appeal',
            name='issues_appe_categor_afb423_idx',
        ),
        AddIndexConcurrently(
            model_name='rating',
            index=models.Index(fields=['appeal'], include=('score', 'solved', 'politeness', 'timeliness'), name='rating_appeal_scores'),
        ),
    ]
