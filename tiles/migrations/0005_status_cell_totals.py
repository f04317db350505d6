from django.db import migrations, models

# Every cell's total row (status '': all its appeals) added to the status cells already built:
# from this release the unfiltered heatmap reads only those rows, so they may not wait for the
# next rebuild (10M appeals: one pass over 1.43M rows, a few seconds). Under the advisory lock of
# tiles.aggregates (LOCK_KEY 0x7E1E5A66): a rebuild or refresh running meanwhile is waited for.
# The rebuild and the refresh (tiles.cells) write them from then on.
TOTALS = """
SELECT pg_advisory_xact_lock(2115918438);
INSERT INTO tiles_appealstatuscell (zoom, ix, iy, status, count, sum_x, sum_y)
SELECT zoom, ix, iy, '', sum(count), sum(sum_x), sum(sum_y) FROM tiles_appealstatuscell
 WHERE status <> '' GROUP BY zoom, ix, iy ORDER BY zoom, ix, iy;
ANALYZE tiles_appealstatuscell
"""


class Migration(migrations.Migration):

    dependencies = [
        ('tiles', '0004_derived_tables_without_key_constraints'),
    ]

    operations = [
        migrations.AlterField(
            model_name='appealstatuscell',
            name='status',
            field=models.CharField(help_text="'' (tiles.cells.TOTAL): the cell's appeals of every status", max_length=20),
        ),
        migrations.RunSQL(TOTALS, "DELETE FROM tiles_appealstatuscell WHERE status = ''"),
    ]
