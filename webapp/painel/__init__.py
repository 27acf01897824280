"""The read-only TV wall display."""
