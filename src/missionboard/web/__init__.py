"""The web app and JSON API: ``create_app(workspace)`` gives an ASGI app (see docs/web.md)."""

from missionboard.web.app import create_app

__all__ = ["create_app"]
