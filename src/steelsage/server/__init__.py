"""The HTTP server: REST API under /api/v1, an OpenAI-compatible API under /v1, and the web UI."""

from steelsage.server.app import API_PREFIX, create_app
from steelsage.server.settings import ServerSettings, get_server_settings

__all__ = ["API_PREFIX", "ServerSettings", "create_app", "get_server_settings"]
