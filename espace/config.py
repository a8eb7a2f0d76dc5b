"""Typed settings read from the environment: the only module that reads os.environ."""
from __future__ import annotations

from functools import cached_property
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="", extra="ignore", case_sensitive=False)

    data_dir: Path = Field(default=Path("var"), alias="DATA_DIR")
    port: int = Field(default=3000, alias="PORT")
    db_url: str | None = Field(default=None, alias="REFLEX_DB_URL")
    redis_url: str | None = Field(default=None, alias="REFLEX_REDIS_URL")
    # PostgreSQL connections of each process: a pool of DB_POOL_SIZE kept open, up to
    # DB_MAX_OVERFLOW more under load (so at most WORKERS × (size + overflow) in all).
    db_pool_size: int = Field(default=5, ge=1, alias="DB_POOL_SIZE")
    db_max_overflow: int = Field(default=10, ge=0, alias="DB_MAX_OVERFLOW")
    # Threads of each process that run the event handlers' database work off the event
    # loop (espace/web/offload.py). Unset: DB_POOL_SIZE on PostgreSQL, none on SQLite
    # (its answers take microseconds: the handlers run on the loop). 0: none. The pool
    # keeps at least that many connections open.
    event_db_threads: int | None = Field(default=None, ge=0, le=64, alias="EVENT_DB_THREADS")
    # Backend worker processes of `python -m espace serve` (espace/server.py): by default 1
    # without Redis (page states in one process's memory), min(cores, 4) with Redis.
    workers: int | None = Field(default=None, alias="WORKERS")
    # Public address of the portal, used in the links of emails.
    base_url: str | None = Field(default=None, alias="BASE_URL")
    secret_key: str = Field(default="", alias="SECRET_KEY")
    demo: bool = Field(default=False, alias="DEMO")
    # Cookies get the Secure flag when the portal is served over HTTPS.
    secure_cookies: bool = Field(default=False, alias="SECURE_COOKIES")

    smtp_host: str | None = Field(default=None, alias="SMTP_HOST")
    smtp_port: int = Field(default=587, alias="SMTP_PORT")
    smtp_user: str | None = Field(default=None, alias="SMTP_USER")
    smtp_password: str | None = Field(default=None, alias="SMTP_PASSWORD")
    smtp_tls: bool = Field(default=True, alias="SMTP_TLS")
    smtp_ssl: bool = Field(default=False, alias="SMTP_SSL")
    mail_from: str = Field(default="espace-client@example.com", alias="MAIL_FROM")
    mail_from_name: str = Field(default="Mon espace client", alias="MAIL_FROM_NAME")
    # Email outbox worker (services/outbox.py) and grouping of share notifications.
    outbox_poll_seconds: float = Field(default=2, alias="OUTBOX_POLL_SECONDS")
    outbox_max_attempts: int = Field(default=10, alias="OUTBOX_MAX_ATTEMPTS")
    outbox_backoff_seconds: float = Field(default=30, alias="OUTBOX_BACKOFF_SECONDS")
    share_group_minutes: float = Field(default=5, alias="SHARE_GROUP_MINUTES")

    # Online payment: Stripe's API and Stripe.js addresses (a local `localstripe` in tests and the demo).
    stripe_api_base: str = Field(default="https://api.stripe.com", alias="STRIPE_API_BASE")
    stripe_js_url: str = Field(default="https://js.stripe.com/v3/", alias="STRIPE_JS_URL")
    stripe_webhook_tolerance_seconds: int = Field(default=300, alias="STRIPE_WEBHOOK_TOLERANCE_SECONDS")
    # Card testing: declined card attempts allowed per client and per invoice per hour.
    payment_max_declines_per_hour: int = Field(default=5, alias="PAYMENT_MAX_DECLINES_PER_HOUR")

    session_idle_minutes: int = Field(default=30, alias="SESSION_IDLE_MINUTES")
    session_max_hours: int = Field(default=12, alias="SESSION_MAX_HOURS")
    reset_link_minutes: int = Field(default=60, alias="RESET_LINK_MINUTES")
    # Lockout (services/login_guard.py), over LOGIN_WINDOW_MINUTES: failures of a browser
    # without a device cookie of the identifier count per identifier and per address;
    # a browser that logged in to the identifier before counts only its own failures.
    login_max_failures: int = Field(default=5, alias="LOGIN_MAX_FAILURES")
    login_ip_max_failures: int = Field(default=30, alias="LOGIN_IP_MAX_FAILURES")
    login_device_max_failures: int = Field(default=5, alias="LOGIN_DEVICE_MAX_FAILURES")
    login_window_minutes: int = Field(default=15, alias="LOGIN_WINDOW_MINUTES")
    device_cookie_days: int = Field(default=365, alias="DEVICE_COOKIE_DAYS")
    # Login events a minute, refused before any password check: per tab (websocket) and
    # per address (browsers without a device cookie of the identifier).
    login_events_per_connection: int = Field(default=10, alias="LOGIN_EVENTS_PER_CONNECTION")
    login_events_per_address: int = Field(default=30, alias="LOGIN_EVENTS_PER_ADDRESS")
    # Reverse proxies whose X-Forwarded-For is believed (IPs or CIDRs, comma-separated).
    trusted_proxies: str = Field(default="", alias="TRUSTED_PROXIES")
    # Concurrent password hashes/verifications (argon2); 0 = the number of cores.
    hash_workers: int = Field(default=0, alias="HASH_WORKERS")
    # Password checks waiting for the pool: in all (0 = 16 per worker) and per address.
    hash_queue_max: int = Field(default=0, alias="HASH_QUEUE_MAX")
    hash_queue_per_key: int = Field(default=4, alias="HASH_QUEUE_PER_ADDRESS")
    # Checks of a password or a code a minute (Mon compte › Sécurité, the password forms,
    # the login's second step), per account and per address, refused before any check.
    checks_per_account: int = Field(default=10, alias="CHECKS_PER_ACCOUNT")
    checks_per_address: int = Field(default=30, alias="CHECKS_PER_ADDRESS")
    # Passkey login options a minute (POST /api/webauthn/connexion/options), per address
    # for a browser without a device cookie, per device cookie otherwise.
    passkey_options_per_address: int = Field(default=30, alias="PASSKEY_OPTIONS_PER_ADDRESS")
    passkey_options_per_device: int = Field(default=10, alias="PASSKEY_OPTIONS_PER_DEVICE")
    page_size: int = Field(default=50, alias="PAGE_SIZE")
    max_upload_mb: int = Field(default=50, alias="MAX_UPLOAD_MB")
    # Free space kept on the documents' disk: a deposit that would leave less is refused up
    # front (« l'espace de stockage des documents est plein »), so the database, the logs and
    # the backups never find the disk full because of a deposit.
    storage_reserve_mb: int = Field(default=256, ge=0, alias="STORAGE_RESERVE_MB")
    # Documents in an S3-compatible object store when S3_BUCKET is set (local files under
    # DATA_DIR/documents otherwise); credentials from the standard AWS variables
    # (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, ...), read by boto3.
    s3_bucket: str | None = Field(default=None, alias="S3_BUCKET")
    s3_endpoint_url: str | None = Field(default=None, alias="S3_ENDPOINT_URL")
    s3_region: str | None = Field(default=None, alias="S3_REGION")
    s3_prefix: str = Field(default="", alias="S3_PREFIX")

    @property
    def database_url(self) -> str:
        return self.db_url or f"sqlite:///{(self.data_dir / 'espace.db').resolve()}"

    @property
    def documents_dir(self) -> Path:
        return self.data_dir / "documents"

    @property
    def outbox_dir(self) -> Path:
        return self.data_dir / "outbox"

    @property
    def public_url(self) -> str:
        return (self.base_url or f"http://localhost:{self.port}").rstrip("/")

    @property
    def allowed_origins(self) -> list[str]:
        """Origins allowed to call the backend with the session cookie (CORS and the
        websocket): the public address only, plus 127.0.0.1 when it is the default."""
        origins = [self.public_url]
        if not self.base_url:
            origins.append(f"http://127.0.0.1:{self.port}")
        return origins

    @cached_property
    def secret(self) -> bytes:
        """The app secret: from SECRET_KEY, else a random one kept in DATA_DIR."""
        if self.secret_key:
            return self.secret_key.encode()
        path = self.data_dir / "secret.key"
        if not path.exists():
            import secrets

            from espace.private_files import create_private, private_dir

            private_dir(self.data_dir)
            try:
                with create_private(path) as fh:  # 0600 from its creation, never readable by others
                    fh.write(secrets.token_hex(32).encode())
            except FileExistsError:  # written meanwhile by another process
                pass
        return path.read_text().strip().encode()


settings = Settings()
