"""``manage.py media_bucket``: create the media bucket on the S3-compatible storage (if missing)
and set its policy: anonymous GET on the public prefixes (settings.PUBLIC_MEDIA_PREFIXES) and
nothing else. Run by deploy/docker-compose.yml's ``migrate`` service; safe to run again."""
from __future__ import annotations

import json
from typing import Any

from django.conf import settings
from django.core.files.storage import storages
from django.core.management.base import BaseCommand, CommandError


def public_read_policy(bucket: str) -> dict[str, Any]:
    return {
        "Version": "2012-10-17",
        "Statement": [{
            "Sid": "PublicCopiesOnly",
            "Effect": "Allow",
            "Principal": {"AWS": ["*"]},
            "Action": ["s3:GetObject"],
            "Resource": [f"arn:aws:s3:::{bucket}/{prefix}*" for prefix in settings.PUBLIC_MEDIA_PREFIXES],
        }],
    }


class Command(BaseCommand):
    help = "Create the S3 media bucket if missing and allow anonymous reads of the public prefixes only."

    def handle(self, *args: Any, **options: Any) -> None:
        from botocore.exceptions import BotoCoreError, ClientError

        from geoportal.storage import MediaStorage

        storage = storages["default"]
        if not isinstance(storage, MediaStorage):
            raise CommandError("MEDIA_STORAGE is not 's3': the media live in MEDIA_ROOT, there is no bucket to set up.")
        client = storage.connection.meta.client
        bucket = storage.bucket_name
        try:
            existing = {b["Name"] for b in client.list_buckets().get("Buckets", [])}
            if bucket not in existing:
                client.create_bucket(Bucket=bucket)
                self.stdout.write(f"created bucket {bucket}")
            client.put_bucket_policy(Bucket=bucket, Policy=json.dumps(public_read_policy(bucket)))
        except (BotoCoreError, ClientError) as exc:
            raise CommandError(f"the media storage at {storage.endpoint_url or 'AWS'} refused: {exc}") from exc
        self.stdout.write(f"bucket {bucket}: anonymous reads of {', '.join(settings.PUBLIC_MEDIA_PREFIXES)} only")
