"""`python -m portal_gateway`: a bad setting stops it with one line naming the setting."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest


def start(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("PORTAL_")}
    return subprocess.run(
        [sys.executable, "-m", "portal_gateway"],
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.parametrize(
    ("env", "setting"),
    [
        ({}, "PORTAL_PRINCIPAL_PRIVATE_KEY_FILE"),
        (
            {"PORTAL_PRINCIPAL_PRIVATE_KEY_FILE": "/nonexistent/key"},
            "PORTAL_PRINCIPAL_PRIVATE_KEY_FILE",
        ),
        ({"PORTAL_HTTP_PORT": "not-a-port"}, "PORTAL_HTTP_PORT"),
        ({"PORTAL_PEOPLE_URL": "people:4001"}, "PORTAL_PEOPLE_URL"),
    ],
    ids=["no-key", "missing-key-file", "port", "people-url"],
)
def test_a_bad_setting_stops_the_gateway_naming_it(env, setting):
    result = start(env)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(f"invalid setting {setting}")


def test_a_key_that_is_not_ed25519_is_refused(tmp_path):
    key = tmp_path / "principal.key"
    key.write_text("-----BEGIN PRIVATE KEY-----\nnot a key\n-----END PRIVATE KEY-----\n")
    result = start({"PORTAL_PRINCIPAL_PRIVATE_KEY_FILE": str(key)})
    assert result.returncode == 2
    assert result.stderr.strip() == (
        "invalid setting PORTAL_PRINCIPAL_PRIVATE_KEY_FILE: is not an Ed25519 private key in PEM"
    )
