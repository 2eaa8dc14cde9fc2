"""The efirst web app: patron portal, JSON API, embedding, and the other packages'
blueprints (resolver, router) when they are installed.

Development: ``efirst serve``; production:
``gunicorn -c python:search_app.gunicorn_conf 'search_app:create_app()'`` (the settings
the Docker image uses: :mod:`search_app.gunicorn_conf`).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from resolver import web as resolver_web
from router import api as router_api
from router import iso18626_web
from router.actors import Actor
from search_app import admin as admin_pages
from search_app import (
    api,
    api_keys_pages,
    delivery,
    embed,
    errors,
    i18n,
    portal,
    request_views,
    security,
    services,
    suggestions,
    templating,
    usage,
)
from search_app import staff as staff_pages
from search_app.auth import allowed_libraries, current_user
from search_app.config import load_config

__all__ = ["create_app"]

log = logging.getLogger(__name__)


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """Build the app: configuration (defaults < ``EFIRST_*`` env < ``config``), services,
    i18n, security headers, error handlers and blueprints."""
    app = Flask(__name__)
    app.config.update(load_config(config))
    proxies = app.config["EFIRST_TRUSTED_PROXIES"]
    if proxies:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies)
    services.init_app(app)
    i18n.init_app(app)
    templating.init_app(app)
    security.init_app(app)
    errors.init_app(app)
    app.register_blueprint(portal.bp)
    app.register_blueprint(api.bp)
    app.register_blueprint(request_views.bp)
    embed.init_app(app)
    app.register_blueprint(resolver_web.bp)
    app.register_blueprint(router_api.bp)
    app.extensions["efirst.request_actor"] = _request_actor
    app.register_blueprint(iso18626_web.bp)
    app.register_blueprint(staff_pages.bp)
    app.register_blueprint(api_keys_pages.bp)
    admin_pages.init_app(app)
    usage.init_app(app)
    app.register_blueprint(delivery.bp)
    app.register_blueprint(suggestions.bp)
    return app


def _request_actor() -> Actor | None:
    """The signed-in staff member: username and the libraries they act for (the
    router's hook, :data:`router.api_auth.REQUEST_ACTOR`)."""
    account = current_user()
    if account is None:
        return None
    return Actor.staff(account.username, allowed_libraries(account))
