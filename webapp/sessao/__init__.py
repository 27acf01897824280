"""Signing in and out: the pages, who is signed in (service), server-side sessions and
throttled failed logins (repository); the guards themselves are webapp/auth.py."""
