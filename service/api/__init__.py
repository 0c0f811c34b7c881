"""The HTTP API: dependencies, error handlers and routes under ``/api/v1``."""
