"""Settings come from PORTAL_* variables; a bad or missing one stops the process with one line."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from portal_kit.runtime import ServiceRuntime
from portal_kit.settings import ServiceSettings, SettingsError, load_settings


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.startswith("PORTAL_"):
            monkeypatch.delenv(name)


def test_reads_portal_environment_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PORTAL_SERVICE_NAME", "kit")
    monkeypatch.setenv("PORTAL_HTTP_PORT", "4321")
    monkeypatch.setenv("PORTAL_NATS_URL", "nats://10.0.0.1:4222")
    monkeypatch.setenv("PORTAL_EVENT_PREFIX", "staging")
    monkeypatch.setenv("PORTAL_DEV_MODE", "true")
    monkeypatch.setenv("PORTAL_OUTBOX_SWEEP_SECONDS", "0.25")

    settings = load_settings(ServiceSettings)

    assert settings.service_name == "kit"
    assert settings.http_port == 4321
    assert settings.nats_url == "nats://10.0.0.1:4222"
    assert settings.event_prefix == "staging"
    assert settings.dev_mode is True
    assert settings.outbox_sweep_seconds == 0.25
    assert settings.database_name == "portal_kit"
    assert settings.mongo_url is None


def test_overrides_win_over_defaults() -> None:
    settings = load_settings(ServiceSettings, service_name="kit", mongo_database="kitdb")
    assert settings.database_name == "kitdb"


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("PORTAL_HTTP_PORT", "abc"),
        ("PORTAL_HTTP_PORT", "70000"),
        ("PORTAL_EVENT_PREFIX", "Has.Dots"),
        ("PORTAL_LOG_LEVEL", "LOUD"),
        ("PORTAL_OUTBOX_SWEEP_SECONDS", "0"),
        ("PORTAL_OUTBOX_LEASE_SECONDS", "120"),
        ("PORTAL_OUTBOX_LEASE_SECONDS", "5"),
    ],
)
def test_invalid_value_exits_2_with_one_line_naming_it(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], variable: str, value: str
) -> None:
    monkeypatch.setenv(variable, value)

    with pytest.raises(SystemExit) as exited:
        load_settings(ServiceSettings)

    assert exited.value.code == 2
    captured = capsys.readouterr()
    lines = captured.err.splitlines()
    assert len(lines) == 1, captured.err
    assert variable in lines[0]
    assert captured.out == ""


def test_missing_public_key_names_the_setting() -> None:
    settings = load_settings(ServiceSettings)
    with pytest.raises(SettingsError) as raised:
        settings.public_key_pem()
    assert raised.value.setting == "PORTAL_PRINCIPAL_PUBLIC_KEY_FILE"
    assert "PORTAL_PRINCIPAL_PUBLIC_KEY_FILE" in str(raised.value)
    # A runtime cannot even be built without it.
    with pytest.raises(SettingsError):
        ServiceRuntime(settings, outbox_collections=())


def test_unreadable_public_key_file_names_the_setting(tmp_path: Path) -> None:
    settings = load_settings(ServiceSettings, principal_public_key_file=tmp_path / "missing.pub")
    with pytest.raises(SettingsError) as raised:
        settings.public_key_pem()
    assert raised.value.setting == "PORTAL_PRINCIPAL_PUBLIC_KEY_FILE"


def test_public_key_from_file_or_value(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, principal_keys: tuple[bytes, bytes]
) -> None:
    key_file = tmp_path / "principal.pub"
    key_file.write_bytes(principal_keys[1])
    monkeypatch.setenv("PORTAL_PRINCIPAL_PUBLIC_KEY_FILE", str(key_file))
    assert load_settings(ServiceSettings).public_key_pem() == principal_keys[1]

    monkeypatch.delenv("PORTAL_PRINCIPAL_PUBLIC_KEY_FILE")
    monkeypatch.setenv("PORTAL_PRINCIPAL_PUBLIC_KEY", principal_keys[1].decode())
    assert load_settings(ServiceSettings).public_key_pem() == principal_keys[1]


def _run_people(extra_env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PORTAL_")}
    env.update(extra_env)
    return subprocess.run(
        [sys.executable, "-m", "portal_people"],
        env=env,
        capture_output=True,
        text=True,
        timeout=20,
        check=False,
    )


@pytest.mark.parametrize(
    ("extra_env", "setting"),
    [
        ({"PORTAL_HTTP_PORT": "notaport"}, "PORTAL_HTTP_PORT"),
        ({}, "PORTAL_PRINCIPAL_PUBLIC_KEY_FILE"),
    ],
    ids=["invalid-port", "no-public-key"],
)
def test_service_process_refuses_to_start(extra_env: dict[str, str], setting: str) -> None:
    finished = _run_people(extra_env)

    assert finished.returncode == 2, finished.stderr
    lines = finished.stderr.splitlines()
    assert len(lines) == 1, finished.stderr
    assert setting in lines[0]
    assert "Traceback" not in finished.stderr


def test_outside_dev_mode_a_runtime_without_mongo_url_names_the_setting(
    principal_keys: tuple[bytes, bytes],
) -> None:
    settings = load_settings(ServiceSettings, principal_public_key=principal_keys[1].decode())
    with pytest.raises(SettingsError) as raised:
        ServiceRuntime(settings, outbox_collections=())
    assert raised.value.setting == "PORTAL_MONGO_URL"
    # Dev mode (make dev) and the test fixtures' explicit switch keep the stand-in.
    for allowed in ({"dev_mode": True}, {"mongo_stand_in": True}, {"mongo_url": "mongodb://x"}):
        ServiceRuntime(settings.model_copy(update=allowed), outbox_collections=())


@pytest.mark.parametrize("service", ["people", "orders", "tickets", "billing"])
def test_a_service_process_without_mongo_url_refuses_to_start_with_one_line(
    service: str, principal_keys: tuple[bytes, bytes]
) -> None:
    environment = {
        name: value for name, value in os.environ.items() if not name.startswith("PORTAL_")
    }
    environment["PORTAL_PRINCIPAL_PUBLIC_KEY"] = principal_keys[1].decode()
    finished = subprocess.run(
        [sys.executable, "-m", f"portal_{service}"],
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert finished.returncode == 2, finished.stderr
    lines = finished.stderr.strip().splitlines()
    assert len(lines) == 1, finished.stderr
    assert "PORTAL_MONGO_URL" in lines[0]
