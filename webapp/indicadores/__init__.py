"""The manager's indicators: where the time goes, late work, the export of finished orders."""
