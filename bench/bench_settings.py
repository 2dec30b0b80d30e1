"""The project's own settings plus djangorestframework-simplejwt, for side-by-side runs."""

from datetime import timedelta

from config.settings import *  # noqa: F403  (the very same settings as production)
from config.settings import INSTALLED_APPS, SECRET_KEY

INSTALLED_APPS = [
    *INSTALLED_APPS,
    "rest_framework_simplejwt",
    "rest_framework_simplejwt.token_blacklist",
]
ROOT_URLCONF = "bench_urls"
SIMPLE_JWT = {
    "ACCESS_TOKEN_LIFETIME": timedelta(minutes=5),
    "REFRESH_TOKEN_LIFETIME": timedelta(days=7),
    "ROTATE_REFRESH_TOKENS": True,
    "BLACKLIST_AFTER_ROTATION": True,
    "UPDATE_LAST_LOGIN": False,
    "SIGNING_KEY": SECRET_KEY,
    "AUTH_HEADER_TYPES": ("Bearer", "JWT"),
}
