"""Developer scripts (importable so tests can reuse scripts.localdb)."""
