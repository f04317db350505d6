"""The database refuses status changes that the transition table does not allow, so an
illegal transition is impossible even from raw SQL or a careless ``.update()``."""
from __future__ import annotations

from django.db import migrations

ALLOWED = {
    "submitted": ["registered", "rejected", "merged"],
    "registered": ["routed", "rejected", "merged"],
    "routed": ["accepted", "routed", "rejected", "merged"],
    "accepted": ["in_progress", "answered", "routed", "merged"],
    "in_progress": ["answered", "routed", "merged"],
    "answered": ["closed", "in_progress"],
    "closed": ["in_progress"],
    "rejected": [],
    "merged": [],
}

cases = "\n".join(
    f"    WHEN '{src}' THEN NEW.status = ANY(ARRAY[{', '.join(repr(t) for t in targets) or 'NULL'}]::text[])"
    for src, targets in ALLOWED.items()
)

CREATE = f"""
CREATE OR REPLACE FUNCTION issues_appeal_check_transition() RETURNS trigger AS $$
BEGIN
  IF NEW.status IS DISTINCT FROM OLD.status AND NOT COALESCE(CASE OLD.status
{cases}
    ELSE FALSE END, FALSE) THEN
    RAISE EXCEPTION 'illegal appeal status transition % -> %', OLD.status, NEW.status
      USING ERRCODE = 'check_violation';
  END IF;
  RETURN NEW;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER issues_appeal_transition BEFORE UPDATE OF status ON issues_appeal
FOR EACH ROW EXECUTE FUNCTION issues_appeal_check_transition();
"""

DROP = """
DROP TRIGGER IF EXISTS issues_appeal_transition ON issues_appeal;
DROP FUNCTION IF EXISTS issues_appeal_check_transition();
"""


class Migration(migrations.Migration):
    dependencies = [("issues", "0001_initial")]
    operations = [migrations.RunSQL(CREATE, DROP)]
