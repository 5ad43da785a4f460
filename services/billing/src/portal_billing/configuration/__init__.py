"""The tenants' billing configurations, one JSON document each (`domain/configuration.py`)."""
