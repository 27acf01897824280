"""The queue's core, pure of the web: its rules, actor and refusals (domain), use cases
(service), writes (repository), reads (queries), the outbox for the OS service (outbox)."""
