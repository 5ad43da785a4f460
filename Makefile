# One entry point for people and CI. `make test` and `make dev` work on a fresh machine:
# they install uv (from PyPI) when it is missing and build the environment from uv.lock.

SHELL := /bin/bash
UV ?= $(shell command -v uv 2>/dev/null || echo "python3 -m uv")
PYTEST_WORKERS ?= auto
SOURCES := services/kit/src services/people/src services/orders/src services/tickets/src \
	services/billing/src gateway/src

.PHONY: help uv env lint types test test-only dev asyncapi bench-people bench-orders bench-billing bench-tickets bench-knowledge bench-gateway bench-outbox bench-stand-in bench-subscriptions supergraph clean

help:
	@echo "make dev    run the whole platform on 127.0.0.1 with demo data (Ctrl-C stops it)"
	@echo "make test   install from the lock file, then lint, type-check and run every test"
	@echo "make asyncapi  regenerate deploy/asyncapi.json (the events partners subscribe to)"
	@echo "make bench-people  login latency and throughput, token verification rate"
	@echo "make bench-orders  order list, search, dashboard and transition latencies"
	@echo "make bench-tickets  ticket views, search, posting and opening a ticket"
	@echo "make bench-knowledge  knowledge-base search and suggestions, 1 and 32 clients"
	@echo "make bench-billing  invoice search, totals per payer and invoice run latencies"
	@echo "make bench-gateway  gateway vs direct subgraph calls vs Hive Gateway"
	@echo "make bench-outbox  outbox relay throughput, commit-to-consumer p50/p99 at 1,000 events/s"
	@echo "make bench-stand-in  the in-memory stand-in's update_one on an order-like document"
	@echo "make bench-subscriptions  1,000 subscriptions, 500 events/s: commit-to-client p50/p99, memory per connection"
	@echo "make supergraph  recompose deploy/supergraph.graphql from the subgraphs (Node)"

uv:
	@$(UV) --version >/dev/null 2>&1 || python3 -m pip install --quiet uv

env: uv
	$(UV) sync --frozen --all-packages
	npm ci --prefix deploy/supergraph --no-audit --no-fund --loglevel=error
	npm ci --prefix deploy/asyncapi --no-audit --no-fund --loglevel=error
	npm ci --prefix gateway/tests/graphql_ws_client --no-audit --no-fund --loglevel=error

lint: env
	$(UV) run ruff check .
	$(UV) run ruff format --check .

types: env
	$(UV) run mypy $(SOURCES)

test-only:
	$(UV) run pytest -n $(PYTEST_WORKERS)

test: lint types test-only

dev: env
	$(UV) run python deploy/dev/run_platform.py

asyncapi: env
	$(UV) run python -m portal_kit.asyncapi people orders tickets billing > deploy/asyncapi.json

bench-people: env
	$(UV) run python services/people/bench/bench_login.py

bench-orders: env
	$(UV) run python services/orders/bench/bench_orders.py

bench-tickets: env
	$(UV) run python services/tickets/bench/bench_tickets.py

bench-knowledge: env
	$(UV) run python services/tickets/bench/bench_knowledge.py

bench-billing: env
	$(UV) run python services/billing/bench/bench_billing.py

bench-gateway: env
	npm ci --prefix gateway/bench --no-audit --no-fund --loglevel=error
	$(UV) run python gateway/bench/bench_gateway.py

bench-outbox: env
	$(UV) run python services/kit/bench/bench_outbox.py

bench-stand-in: env
	$(UV) run python services/kit/bench/bench_stand_in_update.py

bench-subscriptions: env
	$(UV) run python gateway/bench/bench_subscriptions.py

supergraph: env
	$(UV) run python -m portal_gateway.composition

clean:
	rm -rf .venv .dev .mypy_cache .ruff_cache .pytest_cache deploy/supergraph/node_modules \
		gateway/bench/node_modules gateway/tests/graphql_ws_client/node_modules
