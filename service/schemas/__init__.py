"""Pydantic models of the HTTP API: what goes in and what comes out."""
