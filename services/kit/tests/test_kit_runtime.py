"""A service runtime: connects, creates its streams, relays committed events, stops cleanly."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from portal_kit.domain import new_id
from portal_kit.mongo import PENDING_OUTBOX_INDEX, IndexSpec, pending_outbox
from portal_kit.runtime import ServiceRuntime
from portal_kit.settings import ServiceSettings
from portal_kit.testing.notes import Note, NoteAdded, NoteRepository
from portal_kit.testing.plugin import SettingsFactory


async def test_committed_events_reach_the_stream(
    settings_for: SettingsFactory, nats_client: Any
) -> None:
    settings = settings_for(ServiceSettings, service_name="kit", outbox_sweep_seconds=60)
    runtime = ServiceRuntime(
        settings,
        outbox_collections=["notes"],
        indexes=[IndexSpec("notes", (("tenant", 1), ("text", 1)))],
    )
    received: asyncio.Queue[Any] = asyncio.Queue()

    async def on_message(message: Any) -> None:
        await received.put(message)

    await nats_client.subscribe(f"{settings.event_prefix}.*.kit.>", cb=on_message)
    await nats_client.flush()
    await runtime.start()
    try:
        readiness = await runtime.readiness()
        assert readiness.checks == {"mongodb": True, "nats": True}
        assert readiness.status == "ready"
        repository = NoteRepository(runtime.database, "acme", on_commit=runtime.wake_relay)
        note = Note(id=new_id(), tenant="acme", text="hello")
        note.record(NoteAdded(note_id=note.id))
        await repository.add(note)

        message = await asyncio.wait_for(received.get(), 10)
        assert message.subject == f"{settings.event_prefix}.acme.kit.note.added"
        # Removed from the outbox once the stream acknowledged it.
        for _ in range(500):
            stored = await runtime.database.for_tenant("notes", "acme").find_one({"_id": note.id})
            if stored is not None and stored["outbox"] == []:
                break
            await asyncio.sleep(0.02)
        assert stored is not None and stored["outbox"] == []
        info = await runtime.js.stream_info(runtime.names.stream)
        assert info.state.messages == 1
        assert info.config.duplicate_window and info.config.duplicate_window > 0
        # Start-up gave the outbox collection the relay's partial index, whose filter is the
        # relay's query: on MongoDB the relay's pass reads only documents with pending events.
        indexes = await runtime.database.system_collection("notes").index_information()
        relay_index = indexes[PENDING_OUTBOX_INDEX]
        assert relay_index["key"] == [("tenant", 1), ("_id", 1)]
        assert relay_index["partialFilterExpression"] == pending_outbox("outbox")
        assert (
            await runtime.database.system_collection("notes").count_documents(
                pending_outbox("outbox")
            )
            == 0
        )
    finally:
        await runtime.stop()


def test_runtime_parts_are_unavailable_before_start(settings_for: SettingsFactory) -> None:
    runtime = ServiceRuntime(
        settings_for(ServiceSettings, service_name="kit"), outbox_collections=()
    )
    for part in ("database", "js", "relay"):
        with pytest.raises(RuntimeError, match="not started"):
            getattr(runtime, part)
    runtime.wake_relay()  # harmless before start


async def test_stop_during_a_nats_outage_does_not_fail(
    settings_for: SettingsFactory, own_nats_server: Any
) -> None:
    runtime = ServiceRuntime(
        settings_for(ServiceSettings, service_name="kit", nats_url=own_nats_server.url),
        outbox_collections=["notes"],
    )
    await runtime.start()
    own_nats_server.stop()
    await asyncio.wait_for(runtime.stop(), 20)


async def test_periodic_jobs_run_while_started_and_survive_a_failing_round(
    settings_for: SettingsFactory,
) -> None:
    runtime = ServiceRuntime(
        settings_for(ServiceSettings, service_name="kit"), outbox_collections=[]
    )
    rounds: list[int] = []

    async def job() -> None:
        rounds.append(len(rounds))
        if len(rounds) == 1:
            raise RuntimeError("the database is away this round")

    runtime.every(0.01, "test-job", job)
    await runtime.start()
    try:
        async with asyncio.timeout(10):
            while len(rounds) < 3:  # noqa: ASYNC110 - polling a test spy
                await asyncio.sleep(0.01)
    finally:
        await runtime.stop()
    stopped_at = len(rounds)
    await asyncio.sleep(0.05)
    assert len(rounds) == stopped_at, "no round after stop"
    with pytest.raises(ValueError):
        runtime.every(0, "never", job)
