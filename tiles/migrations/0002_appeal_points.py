import django.contrib.gis.db.models.fields
import django.db.models.deletion
from django.db import migrations, models

# tiles.points.key_of in SQL: the Morton code of an EPSG:3857 point's tile on the zoom-24 grid
# (column from the west, row from the north, as in the XYZ tile scheme), clamped to the grid.
POINT_KEY_FUNCTION = """
CREATE OR REPLACE FUNCTION tiles_point_key(x float8, y float8) RETURNS bigint
LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE AS $$
DECLARE
  half constant float8 := 20037508.342789244;
  n constant bigint := 16777216;
  col bigint := LEAST(GREATEST(floor((x + half) / (2 * half) * n)::bigint, 0), n - 1);
  rw bigint := LEAST(GREATEST(floor((half - y) / (2 * half) * n)::bigint, 0), n - 1);
BEGIN
  col := (col | (col << 16)) & 281470681808895;
  col := (col | (col << 8)) & 71777214294589695;
  col := (col | (col << 4)) & 1085102592571150095;
  col := (col | (col << 2)) & 3689348814741910323;
  col := (col | (col << 1)) & 6148914691236517205;
  rw := (rw | (rw << 16)) & 281470681808895;
  rw := (rw | (rw << 8)) & 71777214294589695;
  rw := (rw | (rw << 4)) & 1085102592571150095;
  rw := (rw | (rw << 2)) & 3689348814741910323;
  rw := (rw | (rw << 1)) & 6148914691236517205;
  RETURN col | (rw << 1);
END $$;
"""


class Migration(migrations.Migration):

    dependencies = [
        ('geoportal', '0001_initial'),
        ('issues', '0004_alter_notification_kind_and_more'),
        ('tiles', '0001_initial'),
    ]

    operations = [
        migrations.RunSQL(POINT_KEY_FUNCTION, "DROP FUNCTION IF EXISTS tiles_point_key(float8, float8)"),
        migrations.CreateModel(
            name='AppealPoint',
            fields=[
                ('appeal', models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, primary_key=True, related_name='+', serialize=False, to='issues.appeal')),
                ('tile_key', models.BigIntegerField(help_text="Morton code of the point's zoom-24 tile (tiles.points.key_of)")),
                ('number', models.CharField(max_length=20)),
                ('status', models.CharField(max_length=20)),
                ('received', models.CharField(help_text='local date received, YYYY-MM-DD', max_length=10)),
                ('geom', django.contrib.gis.db.models.fields.PointField(spatial_index=False, srid=3857)),
                ('agency', models.ForeignKey(db_index=False, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='geoportal.agency')),
                ('category', models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='+', to='issues.category')),
            ],
            options={
                'indexes': [models.Index(fields=['tile_key', 'appeal'], name='tiles_appealpoint_key')],
            },
        ),
    ]
