"""Test and benchmark helpers: fixture subgraphs and serving ASGI apps on free ports."""
