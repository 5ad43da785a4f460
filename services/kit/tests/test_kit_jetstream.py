"""Start-up creates a missing stream with the configured limits and leaves an existing one alone
(an operator may have tuned it), against a real nats-server."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from nats.js.api import StreamConfig
from portal_kit.jetstream import StreamLimits, StreamNames, ensure_service_streams, ensure_stream


async def test_a_missing_stream_is_created_with_the_limits(
    nats_client: Any, namespace: Any
) -> None:
    js = nats_client.jetstream()
    names = StreamNames(namespace.event_prefix, "kit")
    limits = StreamLimits(max_age_seconds=3600.0, max_bytes=64 * 1024**2, replicas=1)

    await ensure_service_streams(js, names, limits)

    for stream in (names.stream, names.dead_letter_stream):
        config = (await js.stream_info(stream)).config
        assert config.max_age == 3600.0
        assert config.max_bytes == 64 * 1024**2
        assert config.num_replicas == 1
        assert config.duplicate_window == 120.0


async def test_an_operators_limits_survive_a_restart_and_the_difference_is_logged(
    nats_client: Any, namespace: Any, caplog: pytest.LogCaptureFixture
) -> None:
    js = nats_client.jetstream()
    names = StreamNames(namespace.event_prefix, "kit")
    await ensure_stream(js, names.stream, names.subjects, StreamLimits(max_age_seconds=3600.0))
    # The operator gives the stream a week and 2 GiB.
    config = (await js.stream_info(names.stream)).config
    await js.update_stream(
        StreamConfig.from_response(
            {**config.as_dict(), "max_age": 7 * 86_400 * 10**9, "max_bytes": 2 * 1024**3}
        )
    )

    with caplog.at_level(logging.WARNING, logger="portal_kit.jetstream"):
        differences = await ensure_stream(
            js, names.stream, names.subjects, StreamLimits(max_age_seconds=3600.0)
        )

    kept = (await js.stream_info(names.stream)).config
    assert kept.max_age == 7 * 86_400.0
    assert kept.max_bytes == 2 * 1024**3
    assert differences == {
        "max_age": (7 * 86_400.0, 3600.0),
        "max_bytes": (2 * 1024**3, -1),
    }
    assert any("differs" in record.getMessage() for record in caplog.records)


async def test_an_unchanged_stream_logs_nothing(
    nats_client: Any, namespace: Any, caplog: pytest.LogCaptureFixture
) -> None:
    js = nats_client.jetstream()
    names = StreamNames(namespace.event_prefix, "kit")
    await ensure_stream(js, names.stream, names.subjects)
    with caplog.at_level(logging.WARNING, logger="portal_kit.jetstream"):
        assert await ensure_stream(js, names.stream, names.subjects) == {}
    assert not caplog.records


def test_the_runtime_takes_the_limits_from_its_settings(
    settings_for: Any,
) -> None:
    from portal_kit.runtime import ServiceRuntime

    settings = settings_for(
        stream_max_age_days=7, stream_max_bytes=512 * 1024**2, stream_replicas=3
    )
    limits = ServiceRuntime(settings, outbox_collections=()).stream_limits
    assert limits == StreamLimits(max_age_seconds=7 * 86_400.0, max_bytes=512 * 1024**2, replicas=3)
    unlimited = ServiceRuntime(settings_for(stream_max_bytes=0), outbox_collections=())
    assert unlimited.stream_limits.max_bytes == -1  # no byte limit, age only
