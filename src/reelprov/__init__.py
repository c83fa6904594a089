"""reelprov: provenance tracking for film and TV editorial pipelines."""

from __future__ import annotations

__version__ = "0.1.0"
