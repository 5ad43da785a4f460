"""The tenants' ticket configuration documents (JSON, versioned), read by
`adapters/configuration.py`."""
