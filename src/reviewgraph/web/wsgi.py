"""The entry point granian's worker processes import: the app built from serialised settings.

`reviewgraph serve` puts its Settings (as JSON) in REVIEWGRAPH_SETTINGS and starts granian
with `reviewgraph.web.wsgi:app_from_environment` as a factory, so each worker process builds
its own app (and its own query executors) from the same settings.
"""

from __future__ import annotations

import logging
import os
import sys

from flask import Flask

from reviewgraph.web.app import create_app
from reviewgraph.web.settings import Settings

SETTINGS_VARIABLE = "REVIEWGRAPH_SETTINGS"


def app_from_environment() -> Flask:
    settings = Settings.from_json(os.environ[SETTINGS_VARIABLE])
    if settings.log_requests:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(asctime)s %(process)d %(message)s"))
        logger = logging.getLogger("reviewgraph.web")
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)
        logger.propagate = False
    return create_app(settings)
