"""WSGI entry point: `gunicorn wsgi:app`, `flask --app wsgi ...`."""

import sys

from webapp import create_app
from webapp.settings import ConfigError

try:
    app = create_app()
except ConfigError as erro:  # one line for the operator, no traceback
    sys.exit(f"Configuração inválida: {erro}")
