"""The WSGI application, behind the charset guard (``spa_auth.wsgi``)."""

import os

from django.core.wsgi import get_wsgi_application
from spa_auth.wsgi import CharsetGuard

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
application = CharsetGuard(get_wsgi_application())
