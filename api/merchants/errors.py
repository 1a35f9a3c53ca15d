"""Errors about merchants and their API keys."""

from api.errors import NotFound


class ApiKeyNotFound(NotFound):
    code, title = "api_key_not_found", "API key not found"
