"""``efirst serve``: the development server (gunicorn serves the same app in production)."""

from __future__ import annotations

import click

__all__ = ["commands", "serve"]


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to listen on.")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535))
@click.option("--debug/--no-debug", default=False, help="Reload on code changes, show tracebacks.")
def serve(host: str, port: int, debug: bool) -> None:
    """Serve the portal, API and embedding for development.

    Production (search_app/gunicorn_conf.py):
    gunicorn -c python:search_app.gunicorn_conf -b 0.0.0.0:8000 'search_app:create_app()'
    """
    from search_app import create_app
    from search_app.config import ConfigError

    try:
        app = create_app()
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"efirst portal on http://{host}:{port}/ (data dir {app.config['EFIRST_DATA_DIR']})")
    app.run(host=host, port=port, debug=debug, use_reloader=debug)


commands = [serve]
