"""A real S3 server for the tests: moto in server mode, in a process of its own on a
free port (never skipped: it fails when moto cannot start). Each caller makes its
own bucket."""
from __future__ import annotations

import contextlib
import secrets
import sys
import urllib.request
from collections.abc import Iterator
from pathlib import Path

from tests.infra import ServerProcess

REGION = "eu-west-3"
# moto accepts any credentials; boto3 wants some (the app reads the standard AWS variables).
CREDENTIALS = {"AWS_ACCESS_KEY_ID": "espace-test", "AWS_SECRET_ACCESS_KEY": "espace-test-secret"}


class MotoServer(ServerProcess):
    name = "moto"
    start_seconds = 60.0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def argv(self) -> list[str]:
        return [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(self.port)]

    def ready(self) -> bool:
        with urllib.request.urlopen(f"{self.url}/moto-api/", timeout=1):
            return True

    def client(self):
        import boto3

        return boto3.client("s3", endpoint_url=self.url, region_name=REGION,
                            aws_access_key_id=CREDENTIALS["AWS_ACCESS_KEY_ID"],
                            aws_secret_access_key=CREDENTIALS["AWS_SECRET_ACCESS_KEY"])

    def new_bucket(self) -> str:
        name = f"espace-test-{secrets.token_hex(4)}"
        self.client().create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": REGION})
        return name

    def env(self, bucket: str, prefix: str = "documents/") -> dict[str, str]:
        """The app's settings for this bucket (environment variables)."""
        return {"S3_BUCKET": bucket, "S3_ENDPOINT_URL": self.url, "S3_REGION": REGION, "S3_PREFIX": prefix,
                **CREDENTIALS}


@contextlib.contextmanager
def moto_server(workdir: Path) -> Iterator[MotoServer]:
    server = MotoServer(workdir)
    server.start()
    try:
        yield server
    finally:
        server.stop()
