"""The Kanban board for mechanics and managers: its pages and live stream (routes.py) and its
actions (actions.py), views of one blueprint."""

from typing import Any

from bson import ObjectId
from flask import Blueprint

bp = Blueprint("quadro", __name__)


@bp.url_value_preprocessor
def _id_canonico(_endpoint: str | None, valores: dict[str, Any] | None) -> None:
    """An order's id as the board writes it (lower case): an address typed in capitals named
    the card `#cartao-6B14…`, and its answer put a second card beside `#cartao-6b14…`."""
    fila_id = (valores or {}).get("fila_id")
    if isinstance(fila_id, str) and ObjectId.is_valid(fila_id):
        valores["fila_id"] = str(ObjectId(fila_id))  # type: ignore[index]


from . import actions, routes  # noqa: E402, F401  (their views register on bp)
