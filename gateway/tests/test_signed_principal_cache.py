"""The signed principal is reused while more than half of its life remains."""

from __future__ import annotations

import time

import pytest
from portal_gateway import forwarding
from portal_gateway.forwarding import CachedSigner
from portal_kit.principal import Principal, PrincipalSigner, PrincipalVerifier, generate_key_pair


@pytest.fixture
def keys() -> tuple[bytes, bytes]:
    return generate_key_pair()


def test_one_signature_per_principal_until_half_its_life(keys, monkeypatch):
    private, public = keys
    clock = [time.time()]
    monkeypatch.setattr(forwarding.time, "time", lambda: clock[0])
    signed = CachedSigner(PrincipalSigner(private, lifetime_seconds=60))
    alice = Principal(user="alice", tenant="jm")
    first = signed.sign(alice)
    assert PrincipalVerifier(public).verify(first) == alice
    clock[0] += 29
    assert signed.sign(alice) == first
    assert signed.sign(Principal(user="alice", tenant="jm", scopes=("x",))) != first
    clock[0] += 2  # past half of its 60 s
    assert signed.sign(alice) != first


def test_the_cache_is_bounded(keys):
    signed = CachedSigner(PrincipalSigner(keys[0]), size=2)
    principals = [Principal(user=f"u{n}", tenant="jm") for n in range(3)]
    tokens = [signed.sign(p) for p in principals]
    assert len(signed._tokens) == 2
    assert signed.sign(principals[2]) == tokens[2]
    assert signed.sign(principals[0]) != tokens[0]  # forgotten, signed again
