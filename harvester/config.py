"""Settings: environment variables and the optional harvest.toml are read here, and only here."""

from __future__ import annotations

import os
import re
import tomllib
from dataclasses import dataclass, fields
from pathlib import Path
from urllib.parse import urlsplit

from harvester.errors import ConfigError

CONFIG_FILE = "harvest.toml"
DEFAULT_EUTILS_URL = "https://eutils.ncbi.nlm.nih.gov/entrez/eutils"
DEFAULT_UNPAYWALL_URL = "https://api.unpaywall.org/v2"
DEFAULT_EUROPEPMC_URL = "https://www.ebi.ac.uk/europepmc/webservices/rest"
DEFAULT_CROSSREF_URL = "https://api.crossref.org"
# Unpaywall asks for at most 100,000 calls a day (no per-second limit is published; 4 in
# flight and 20/s keep us polite); Europe PMC allows about 10 requests/s.
UNPAYWALL_RATE = 20.0
EUROPEPMC_RATE = 10.0
# Crossref's polite pool: about 3 list requests/s (10 for single works; we keep to 3 for both).
CROSSREF_RATE = 3.0
# NCBI's published limits: 3 requests/s without an API key, 10 with one.
NCBI_RATE = 3.0
NCBI_RATE_WITH_KEY = 10.0
EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s.]+$")


@dataclass(frozen=True)
class Settings:
    db: Path = Path("data/harvest.db")
    queries: Path = Path("queries")
    email: str | None = None
    ncbi_api_key: str | None = None
    eutils_url: str = DEFAULT_EUTILS_URL
    eutils_rate: float | None = None  # None: NCBI's limit for the key (or lack of one)
    unpaywall_url: str = DEFAULT_UNPAYWALL_URL
    europepmc_url: str = DEFAULT_EUROPEPMC_URL
    crossref_url: str = DEFAULT_CROSSREF_URL
    enrich_limit: int = 1000  # articles each enrichment step (OA, COI) looks at per run
    max_response_mb: int = 256  # bigger response bodies are refused
    timeout: float = 60.0  # read timeout, seconds
    retries: int = 5
    backoff: float = 1.0  # first retry waits about this long, doubling each time

    @property
    def ncbi_rate(self) -> float:
        if self.eutils_rate is not None:
            return self.eutils_rate
        return NCBI_RATE_WITH_KEY if self.ncbi_api_key else NCBI_RATE

    def secrets(self) -> list[str]:
        """Values that must never reach logs, errors or the database."""
        return [s for s in (self.ncbi_api_key, self.email) if s]

    def require_email(self) -> str:
        if not self.email:
            raise ConfigError(
                "HARVEST_EMAIL is not set: NCBI asks every client for a contact address; "
                "export HARVEST_EMAIL=you@example.org (or set email in harvest.toml)"
            )
        return self.email


# Setting name -> environment variable. The file harvest.toml uses the setting names as keys.
ENV_VARS = {
    "db": "HARVEST_DB",
    "queries": "HARVEST_QUERIES",
    "email": "HARVEST_EMAIL",
    "ncbi_api_key": "NCBI_API_KEY",
    "eutils_url": "HARVEST_EUTILS_URL",
    "eutils_rate": "HARVEST_EUTILS_RATE",
    "unpaywall_url": "HARVEST_UNPAYWALL_URL",
    "europepmc_url": "HARVEST_EUROPEPMC_URL",
    "crossref_url": "HARVEST_CROSSREF_URL",
    "enrich_limit": "HARVEST_ENRICH_LIMIT",
    "max_response_mb": "HARVEST_MAX_RESPONSE_MB",
    "timeout": "HARVEST_TIMEOUT",
    "retries": "HARVEST_RETRIES",
    "backoff": "HARVEST_BACKOFF",
}
# Names from before a rename, still read: old setting (harvest.toml key) or variable -> new.
RENAMED = {"oa_limit": "enrich_limit"}
RENAMED_ENV = {"HARVEST_OA_LIMIT": "HARVEST_ENRICH_LIMIT"}


def load_settings(environ: dict[str, str] | None = None, config_path: Path | None = None,
                  **overrides) -> Settings:
    """Build Settings from harvest.toml, then the environment, then explicit overrides (CLI)."""
    environ = os.environ if environ is None else environ
    raw: dict[str, object] = {}
    path = config_path or Path(environ.get("HARVEST_CONFIG", CONFIG_FILE))
    if path.exists():
        raw.update(_load_config_file(path))
    elif config_path is not None or "HARVEST_CONFIG" in environ:
        raise ConfigError(f"{path}: config file not found; create it or unset HARVEST_CONFIG")
    environ = {**{new: environ[old] for old, new in RENAMED_ENV.items()
                  if environ.get(old) and not environ.get(new)}, **environ}
    for name, var in ENV_VARS.items():
        value = environ.get(var)
        if value is not None and value != "":
            raw[name] = value
    raw.update({k: v for k, v in overrides.items() if v is not None})
    return _settings_from(raw)


def _load_config_file(path: Path) -> dict[str, object]:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as e:
        raise ConfigError(f"{path}: cannot read config file: {e}") from e
    except tomllib.TOMLDecodeError as e:
        raise ConfigError(f"{path}: invalid TOML: {e}; fix the syntax") from e
    data = {RENAMED.get(key, key): value for key, value in data.items()}
    unknown = sorted(set(data) - set(ENV_VARS))
    if unknown:
        raise ConfigError(
            f"{path}: unknown key {unknown[0]!r}; allowed keys: {', '.join(ENV_VARS)}"
        )
    return data


def _settings_from(raw: dict[str, object]) -> Settings:
    values: dict[str, object] = {}
    types = {f.name: f.type for f in fields(Settings)}
    for name, value in raw.items():
        source = ENV_VARS[name]
        kind = types[name]
        if "Path" in kind:
            values[name] = Path(str(value)).expanduser()
        elif "float" in kind:
            values[name] = _number(value, source, float, minimum=0.0)
        elif "int" in kind:
            values[name] = _number(value, source, int, minimum=0)
        else:
            values[name] = str(value).strip()
    settings = Settings(**values)
    if settings.email is not None and not EMAIL_RE.match(settings.email):
        raise ConfigError(
            "HARVEST_EMAIL is not an email address; set it to a real contact like editor@newsletter.org"
        )
    _check_url(settings.eutils_url, "HARVEST_EUTILS_URL")
    _check_url(settings.unpaywall_url, "HARVEST_UNPAYWALL_URL")
    _check_url(settings.europepmc_url, "HARVEST_EUROPEPMC_URL")
    _check_url(settings.crossref_url, "HARVEST_CROSSREF_URL")
    if settings.eutils_rate is not None and settings.eutils_rate <= 0:
        raise ConfigError("HARVEST_EUTILS_RATE must be a positive number of requests per second")
    return settings


def _number(value: object, source: str, kind: type, minimum: float):
    try:
        number = kind(value)
    except (TypeError, ValueError):
        raise ConfigError(f"{source}={value!r} is not a number; give a {kind.__name__}") from None
    if number < minimum:
        raise ConfigError(f"{source}={value!r} must be >= {minimum}")
    return number


def _check_url(url: str, source: str) -> None:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        example = {"HARVEST_EUTILS_URL": DEFAULT_EUTILS_URL,
                   "HARVEST_UNPAYWALL_URL": DEFAULT_UNPAYWALL_URL,
                   "HARVEST_EUROPEPMC_URL": DEFAULT_EUROPEPMC_URL,
                   "HARVEST_CROSSREF_URL": DEFAULT_CROSSREF_URL}[source]
        raise ConfigError(f"{source}={url!r} is not an http(s) URL; give e.g. {example}")
