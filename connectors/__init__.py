"""Source connectors: turn FAQ files, PDFs and ticket exports into `Document`s.

Connectors only read; cleaning, redaction, chunking and indexing happen in `ingest`.
"""

from connectors.base import ConnectorError, ConnectorOptions
from connectors.registry import discover_files, read_sources

__all__ = ["ConnectorError", "ConnectorOptions", "discover_files", "read_sources"]
