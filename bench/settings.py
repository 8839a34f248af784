"""The site's settings with the benchmark's URLconf, for servers started by the benchmark
(`gunicorn --env DJANGO_SETTINGS_MODULE=bench.settings`). Nothing else differs."""

from config.settings import *  # noqa: F403

ROOT_URLCONF = "bench.urls"
