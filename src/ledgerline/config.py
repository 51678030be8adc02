"""Settings, read from the environment once, at the composition root (bootstrap and cli)."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="LEDGERLINE_", extra="ignore")

    env: Literal["production", "development"] = "production"
    data_dir: Path = Path(".ledgerline")
    database_url: str | None = None
    master_key: SecretStr | None = None
    # Or the file holding it (default DATA_DIR/master.key): keep it apart from the data.
    master_key_file: Path | None = None
    # During a rotation of a master key held in the environment: new data keys are wrapped
    # by this one, and both unwrap (docs/operations.md).
    new_master_key: SecretStr | None = None
    secret_key: SecretStr | None = None
    # The audit chain's HMAC key (base64 of >= 32 bytes), or the file holding it (default
    # DATA_DIR/audit.key, created on first run); and the file the chain's head is anchored
    # in outside the database (default DATA_DIR/audit.anchor). docs/architecture/audit.md.
    audit_key: SecretStr | None = None
    audit_key_file: Path | None = None
    audit_anchor_file: Path | None = None
    broker_url: str | None = None
    # Names the Redis stream / NATS stream and subjects, so deployments can share a broker.
    broker_namespace: str = Field(default="ledgerline", pattern=r"^[a-z][a-z0-9_-]{0,39}$")
    public_url: str | None = None
    # Web Push's VAPID contact (RFC 8292 "sub"): a mailto: or https: URL push services may
    # use to reach the operator; default the public URL when https, else a local mailbox.
    push_contact: str | None = None
    host: str = "127.0.0.1"
    port: int = 8000
    webhook_timeout_seconds: float = Field(default=20.0, gt=0)
    webhook_concurrency_per_business: int = Field(default=8, ge=1)
    # Rate limits (token buckets, per process); a rate of 0 turns a limit off.
    # Send API: Messenger's documented 300 calls/s per page.
    rate_limit_send_per_second: float = Field(default=300.0, ge=0)
    rate_limit_send_burst: int = Field(default=300, ge=1)
    # Financial data: calls per page. Banks stream card payments as they happen, one per
    # call, so the limit admits the real-time aim (1,000 transactions/s) in single calls.
    rate_limit_ingest_per_second: float = Field(default=1000.0, ge=0)
    rate_limit_ingest_burst: int = Field(default=2000, ge=1)
    # Person-facing API: calls (and stream connections) per person.
    rate_limit_person_per_second: float = Field(default=20.0, ge=0)
    rate_limit_person_burst: int = Field(default=100, ge=1)
    # How long a request waits for a database lock before it is answered 503 + Retry-After.
    database_busy_timeout_seconds: float = Field(default=10.0, gt=0, le=600)
    log_level: str = "INFO"
    # auto: JSON lines when stdout is not a terminal, readable lines in one.
    log_format: Literal["auto", "json", "console"] = "auto"
    access_log: bool = True
    # /metrics in production: this bearer token, or (unset) loopback clients only.
    metrics_token: SecretStr | None = None
    # OpenTelemetry traces go to this OTLP/HTTP endpoint when it is set (the standard
    # variables; the exporter reads the rest of OTEL_* itself). Unset: no tracing at all.
    otel_endpoint: str | None = Field(
        default=None,
        validation_alias=AliasChoices(
            "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "OTEL_EXPORTER_OTLP_ENDPOINT"
        ),
    )
    otel_service_name: str = Field(
        default="ledgerline", validation_alias=AliasChoices("OTEL_SERVICE_NAME")
    )
    # The fraud model for online scoring: "default" (the demo model shipped with the
    # package), "off", or the path of a model file from `ledgerline fraud train`.
    fraud_model: str | None = None

    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'ledgerline.db').as_posix()}"

    @property
    def allow_insecure_urls(self) -> bool:
        """Development allows http and loopback URLs for webhooks and account linking."""
        return self.env == "development"

    def resolved_master_key_file(self) -> Path:
        return self.master_key_file or self.data_dir / "master.key"

    def resolved_audit_key_file(self) -> Path:
        return self.audit_key_file or self.data_dir / "audit.key"

    def resolved_audit_anchor_file(self) -> Path:
        return self.audit_anchor_file or self.data_dir / "audit.anchor"

    def resolved_public_url(self) -> str:
        return (self.public_url or f"http://{self.host}:{self.port}").rstrip("/")

    def resolved_push_contact(self) -> str:
        if self.push_contact:
            return self.push_contact
        public = self.resolved_public_url()
        return public if public.startswith("https://") else "mailto:webpush@localhost"
