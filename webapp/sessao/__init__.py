"""Signing in and out: sessions, CSRF, throttled failed logins, role checks."""
