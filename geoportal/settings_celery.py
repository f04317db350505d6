"""Celery, the transactional outbox and the beat schedule: star-imported by
:mod:`geoportal.settings` (everything from the environment, like the rest of the settings)."""
from __future__ import annotations

from .env import env_int, env_str

REDIS_URL = env_str("REDIS_URL", "redis://127.0.0.1:6379/0")
CELERY_BROKER_URL = REDIS_URL
CELERY_RESULT_BACKEND = REDIS_URL
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = "Europe/Moscow"
# Reliability (issue 19): a task is acknowledged when it ends, and requeued when its worker process
# dies under it (SIGKILL, OOM); with the outbox's once-only effects a re-run repeats nothing.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BROKER_CONNECTION_MAX_RETRIES = None  # a worker waits for Redis as long as it takes
# No task may outlive the broker's visibility timeout, or Redis would hand it to a second worker
# while the first still runs: hard limit 50 min (retraining at 1M appeals is the longest), the
# visibility timeout an hour. Work lost with a whole worker comes back through the outbox's sweep
# (OUTBOX_REDELIVER_AFTER_S) long before that.
CELERY_TASK_TIME_LIMIT = env_int("CELERY_TASK_TIME_LIMIT", 50 * 60)
CELERY_TASK_SOFT_TIME_LIMIT = CELERY_TASK_TIME_LIMIT - 60
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": CELERY_TASK_TIME_LIMIT + 10 * 60,
                                   "socket_connect_timeout": 2}
# Web processes publish with bounded retries: with Redis down a request gives up in well under a
# second instead of 20 retries 1 s apart (the outbox keeps what it owed).
CELERY_BROKER_CONNECTION_TIMEOUT = 2
CELERY_TASK_PUBLISH_RETRY_POLICY = {"max_retries": 1, "interval_start": 0, "interval_step": 0.2,
                                    "interval_max": 0.2}
CELERY_RESULT_BACKEND_TRANSPORT_OPTIONS = {"retry_policy": {"max_retries": 1, "interval_start": 0,
                                                            "interval_step": 0.2, "interval_max": 0.2}}
CELERY_REDIS_SOCKET_CONNECT_TIMEOUT = 2
CELERY_REDIS_SOCKET_TIMEOUT = 5
CELERY_RESULT_EXPIRES = 24 * 3600
# The outbox (outbox/): rows published on commit are left to that publish for GRACE seconds; a
# published message not finished after REDELIVER seconds is published again (it was lost with a
# killed worker or a restarted Redis; effects run once whatever the number of deliveries).
OUTBOX_SWEEP_EVERY_S = env_int("OUTBOX_SWEEP_EVERY_S", 5)
OUTBOX_PUBLISH_GRACE_S = env_int("OUTBOX_PUBLISH_GRACE_S", 5)
OUTBOX_REDELIVER_AFTER_S = env_int("OUTBOX_REDELIVER_AFTER_S", 600)
OUTBOX_MAX_ATTEMPTS = env_int("OUTBOX_MAX_ATTEMPTS", 8)
OUTBOX_BACKOFF_S = env_int("OUTBOX_BACKOFF_S", 10)

# Periodic tasks (celery beat).
CELERY_BEAT_SCHEDULE: dict[str, dict[str, object]] = {}
CELERY_BEAT_SCHEDULE["appeal-deadlines"] = {"task": "issues.tasks.check_deadlines", "schedule": 3600.0}
CELERY_BEAT_SCHEDULE["appeal-auto-close"] = {"task": "issues.tasks.auto_close_answered", "schedule": 6 * 3600.0}
# Initiative projects: the need score (appeals near a project) is recounted nightly while the
# project is still in the contest, so the commission sees needs that arrived after the review.
CELERY_BEAT_SCHEDULE["projects-need-scores"] = {
    "task": "projects.tasks.refresh_need_scores", "schedule": float(env_int("PROJECTS_NEED_EVERY_S", 24 * 3600))}
CELERY_BEAT_SCHEDULE["tiles-appeal-aggregates"] = {
    "task": "tiles.tasks.refresh_appeal_aggregates", "schedule": float(env_int("TILES_AGGREGATES_EVERY_S", 900))}
# The hotspots of the public statistics' default window (30 days), too slow to cluster per request at
# ten million appeals: computed here and served while younger than ANALYTICS_HOTSPOTS_MAX_AGE_S.
CELERY_BEAT_SCHEDULE["analytics-hotspots"] = {
    "task": "analytics.tasks.snapshot_hotspots", "schedule": float(env_int("ANALYTICS_HOTSPOTS_EVERY_S", 600))}
CELERY_BEAT_SCHEDULE["router-retrain-nightly"] = {
    "task": "routing.tasks.retrain_nightly", "schedule": float(env_int("ROUTER_RETRAIN_EVERY_S", 24 * 3600))}
CELERY_BEAT_SCHEDULE["subscription-digests"] = {"task": "inbox.tasks.send_digests", "schedule": 24 * 3600.0}
