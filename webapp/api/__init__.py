"""The JSON API: its routes (the queue, the indicators for a bearer token, the probes, the
OpenAPI document), its schemas and the contract helpers (validation, errors, OpenAPI)."""
