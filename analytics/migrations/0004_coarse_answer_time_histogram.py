import django.db.models.deletion
from django.db import migrations, models

# Filled from the histogram already built: the pivots read the coarse table as soon as the
# histogram and the facts are populated, so it may not wait for the next rebuild (10M appeals:
# one pass over the 1.15M histogram rows, a few seconds). The same statement as
# analytics.histograms._coarse_insert (a migration does not import the app's code), under the
# advisory lock of tiles.aggregates (LOCK_KEY 0x7E1E5A66): a rebuild or refresh running meanwhile
# is waited for, and the next one waits for this.
FILL = """
SELECT pg_advisory_xact_lock(2115918438);
INSERT INTO analytics_coarseanswertimehistogram (received_month, sliced_by, district_id, agency_id, category_id,
                                                 public, bucket, count)
SELECT received_month,
       CASE WHEN GROUPING(district_id) = 0 THEN 'district' WHEN GROUPING(agency_id) = 0 THEN 'agency'
            WHEN GROUPING(category_id) = 0 THEN 'category' END,
       district_id, agency_id, category_id, public, bucket, sum(count)
  FROM analytics_answertimehistogram
 GROUP BY GROUPING SETS ((received_month, district_id, public, bucket), (received_month, agency_id, public, bucket),
                         (received_month, category_id, public, bucket))
"""


class Migration(migrations.Migration):

    dependencies = [
        ('analytics', '0003_hotspot_snapshots'),
        ('geoportal', '0001_initial'),
        ('issues', '0004_alter_notification_kind_and_more'),  # Category; no later issues state needed
    ]

    operations = [
        migrations.CreateModel(
            name='CoarseAnswerTimeHistogram',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('received_month', models.DateTimeField(help_text='local midnight of the first day of the month received')),
                ('sliced_by', models.CharField(help_text='district, agency or category: the one key of the row', max_length=8)),
                ('public', models.BooleanField(help_text='counted by Appeal.objects.public()')),
                ('bucket', models.SmallIntegerField(help_text='log-scale bucket of days to answer; -1: no answer time')),
                ('count', models.PositiveIntegerField()),
                ('agency', models.ForeignKey(db_constraint=False, db_index=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='geoportal.agency')),
                ('category', models.ForeignKey(db_constraint=False, db_index=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='issues.category')),
                ('district', models.ForeignKey(db_constraint=False, db_index=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='geoportal.district')),
            ],
            options={
                'indexes': [models.Index(fields=['sliced_by', 'received_month'], name='analytics_coarse_hist_month')],
            },
        ),
        migrations.RunSQL(FILL + ";\nANALYZE analytics_coarseanswertimehistogram", migrations.RunSQL.noop),
    ]
