"""The exceptions harvester raises on purpose, each mapped to an exit code by the CLI."""


class HarvestError(Exception):
    """An error a user can act on: one line, no traceback. `exit_code` is what the CLI returns."""

    exit_code = 1


class ConfigError(HarvestError):
    """Bad configuration or usage: environment, harvest.toml, saved queries, database path."""

    exit_code = 2


class LockedError(HarvestError):
    """Another run holds the database (EX_TEMPFAIL, so cron wrappers can tell it from a failure)."""

    exit_code = 75


class SourceError(HarvestError):
    """A source answered with something that is not the data asked for (after any retries)."""


class DatabaseError(HarvestError):
    exit_code = 2
