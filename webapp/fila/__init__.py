"""The queue's core: its rules (domain), use cases (service), writes (repository), reads
(queries), the JSON API and the CLI."""
