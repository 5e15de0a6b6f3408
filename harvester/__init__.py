"""harvester: harvest new literature records into one SQLite file."""

__version__ = "0.1.0"
