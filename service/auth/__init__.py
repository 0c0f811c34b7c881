"""API keys, roles and the rules of who may do what."""
