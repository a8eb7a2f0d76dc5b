"""A real S3 server for the tests: moto in server mode, in a process of its own on a
free port (never skipped: it fails when moto cannot start). Each caller makes its
own bucket."""
from __future__ import annotations

import contextlib
import secrets
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

from tests.infra import free_port

REGION = "eu-west-3"
# moto accepts any credentials; boto3 wants some (the app reads the standard AWS variables).
CREDENTIALS = {"AWS_ACCESS_KEY_ID": "espace-test", "AWS_SECRET_ACCESS_KEY": "espace-test-secret"}


class MotoServer:
    def __init__(self, workdir: Path):
        self.workdir = workdir
        self.port = free_port()
        self.proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        self.workdir.mkdir(parents=True, exist_ok=True)
        log = open(self.workdir / f"moto-{self.port}.log", "a")  # noqa: SIM115 (the server writes to it)
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(self.port)],
            stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.time() + 60
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("moto_server did not start:\n" + (self.workdir / f"moto-{self.port}.log").read_text())
            try:
                with urllib.request.urlopen(f"{self.url}/moto-api/", timeout=1):
                    return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError(f"moto_server did not answer on port {self.port}")

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None

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
