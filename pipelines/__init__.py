"""Item pipelines: a report item becomes a stored report and version."""
