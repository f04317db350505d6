# The router's explanation as phrase codes and values, said in each reader's language. A constant
# database default: PostgreSQL adds the column without rewriting the table (ten million appeals
# stay as they are and read the default), and bulk loads that do not name the column still work.

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('issues', '0006_covering_indexes_for_statistics'),
    ]

    operations = [
        migrations.AddField(
            model_name='appeal',
            name='routing_facts',
            field=models.JSONField(blank=True, db_default=[], default=list),
        ),
    ]
