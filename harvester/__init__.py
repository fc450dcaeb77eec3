"""harvester: collects government information-disclosure annual reports with provenance."""

__version__ = "0.1.0"
