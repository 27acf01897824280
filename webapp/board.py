"""The Kanban board for mechanics and managers (filled in by the board issue)."""

from __future__ import annotations

from flask import Blueprint, render_template

bp = Blueprint("board", __name__)


@bp.get("/")
def index() -> str:
    return render_template("board/index.html")
