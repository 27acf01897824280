"""The Kanban board for mechanics and managers: its pages and live stream (routes.py) and its
actions (actions.py), views of one blueprint."""

from flask import Blueprint

bp = Blueprint("quadro", __name__)

from . import actions, routes  # noqa: E402, F401  (their views register on bp)
