"""The read-only TV wall display (filled in by the board issue)."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("painel", __name__, url_prefix="/painel")
