"""WSGI entry point (gunicorn gonv.wsgi)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gonv.settings")
application = get_wsgi_application()
