"""The people domain: tenants, organisations and users. Pure: no I/O."""
