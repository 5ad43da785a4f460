"""Logs are one JSON object per line, with the request id and tenant of the work being done."""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterator

import orjson
import pytest
from portal_kit.logging import JsonFormatter, configure_logging, request_id_var, tenant_var


def _record(message: str, *args: object, **extra: object) -> logging.LogRecord:
    logger = logging.getLogger("portal.test")
    return logger.makeRecord(
        "portal.test", logging.INFO, __file__, 1, message, args, None, extra=extra or None
    )


def test_one_json_object_with_request_id_and_tenant() -> None:
    formatter = JsonFormatter("kit")
    tokens = (request_id_var.set("req-1"), tenant_var.set("acme"))
    try:
        line = formatter.format(_record("order %s moved", "o-1", order="o-1", status="done"))
    finally:
        request_id_var.reset(tokens[0])
        tenant_var.reset(tokens[1])

    assert "\n" not in line
    entry = orjson.loads(line)
    assert entry["message"] == "order o-1 moved"
    assert entry["request_id"] == "req-1"
    assert entry["tenant"] == "acme"
    assert entry["service"] == "kit"
    assert entry["level"] == "info"
    assert entry["logger"] == "portal.test"
    assert entry["order"] == "o-1"
    assert entry["status"] == "done"
    assert entry["time"].endswith("+00:00")


def test_context_absent_means_fields_absent() -> None:
    entry = orjson.loads(JsonFormatter("kit").format(_record("started")))
    assert "request_id" not in entry
    assert "tenant" not in entry


def test_multiline_messages_and_exceptions_stay_on_one_line() -> None:
    formatter = JsonFormatter("kit")
    try:
        raise ValueError("first line\nsecond line")
    except ValueError:
        record = logging.getLogger("portal.test").makeRecord(
            "portal.test", logging.ERROR, __file__, 1, "broke\nbadly", (), sys.exc_info()
        )
    line = formatter.format(record)
    assert "\n" not in line
    entry = orjson.loads(line)
    assert entry["message"] == "broke\nbadly"
    assert "ValueError" in entry["error"]
    assert entry["level"] == "error"


def test_values_json_cannot_encode_are_stringified() -> None:
    entry = orjson.loads(JsonFormatter("kit").format(_record("x", thing=object(), n={1, 2})))
    assert entry["thing"].startswith("<object object")


@pytest.fixture
def restore_root_logger() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    access = logging.getLogger("uvicorn.access").disabled
    try:
        yield
    finally:
        root.handlers[:] = handlers
        root.setLevel(level)
        logging.getLogger("uvicorn.access").disabled = access


@pytest.mark.usefixtures("restore_root_logger")
def test_configure_logging_writes_json_lines_to_stderr(capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging("kit", "INFO")
    token = tenant_var.set("acme")
    try:
        logging.getLogger("portal.test").info("first", extra={"n": 1})
        logging.getLogger("portal.test").debug("hidden below INFO")
        logging.getLogger("portal.test").warning("second")
    finally:
        tenant_var.reset(token)

    lines = capsys.readouterr().err.splitlines()
    entries = [orjson.loads(line) for line in lines]
    assert [e["message"] for e in entries] == ["first", "second"]
    assert all(e["tenant"] == "acme" and e["service"] == "kit" for e in entries)
    assert entries[0]["n"] == 1
    assert logging.getLogger("uvicorn.access").disabled
