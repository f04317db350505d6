# The notification models move here from the appeals app in state only: their tables keep their
# names (db_table) and their rows; issues.0005 drops them from the appeals app's state.

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models

KINDS = [('status', 'изменение статуса моего обращения'), ('message', 'новое сообщение по обращению'),
         ('new_appeal', 'новое обращение в ведомство'), ('deadline', 'приближение и нарушение сроков'),
         ('subscription', 'новое по подпискам (в приложении; на почту — дайджестом)')]


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('issues', '0004_alter_notification_kind_and_more'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[
                migrations.CreateModel(
                    name='Notification',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False,
                                                   verbose_name='ID')),
                        ('kind', models.CharField(choices=KINDS, max_length=20)),
                        ('title', models.CharField(max_length=300)),
                        ('body', models.TextField(blank=True)),
                        ('created_at', models.DateTimeField(default=django.utils.timezone.now)),
                        ('read_at', models.DateTimeField(blank=True, null=True)),
                        ('emailed_at', models.DateTimeField(blank=True, null=True)),
                        ('appeal', models.ForeignKey(blank=True, null=True,
                                                     on_delete=django.db.models.deletion.CASCADE,
                                                     to='issues.appeal')),
                        ('user', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE,
                                                   related_name='notifications', to=settings.AUTH_USER_MODEL)),
                    ],
                    options={
                        'db_table': 'issues_notification',
                        'ordering': ['-created_at'],
                        'indexes': [models.Index(fields=['user', 'read_at'], name='issues_noti_user_id_f85ec0_idx')],
                    },
                ),
                migrations.CreateModel(
                    name='NotificationPreference',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False,
                                                   verbose_name='ID')),
                        ('kind', models.CharField(choices=KINDS, max_length=20)),
                        ('email', models.BooleanField(default=True)),
                        ('in_app', models.BooleanField(default=True)),
                        ('user', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE,
                                                   related_name='notification_prefs', to=settings.AUTH_USER_MODEL)),
                    ],
                    options={
                        'db_table': 'issues_notificationpreference',
                        'constraints': [models.UniqueConstraint(fields=('user', 'kind'),
                                                                name='unique_notification_pref')],
                    },
                ),
            ],
        ),
    ]
