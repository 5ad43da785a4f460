"""Partner access to events: per-tenant NATS credentials that read only `<prefix>.<tenant>.>`.

`access` states what a partner may do (pure), `credentials` keeps the nkeys, `server_config`
writes the nats-server include, `streams` keeps each tenant's partner stream, `tenants` asks
people for the tenant list; `python -m portal_kit.partners` is the operator's command.
"""
