"""Settings of bench/api_load's gunicorn: the project's, with the floor endpoints' URLs."""

from factcheck.settings import *  # noqa: F403

ROOT_URLCONF = "api_load_site"
