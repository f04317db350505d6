"""The transactional outbox: side effects of a write (notifications, photo processing, follow-ups of
a changed appeal) are stored in PostgreSQL in the write's own transaction and relayed to Celery."""
