"""Principals signed by the gateway verify; anything else is refused as InvalidPrincipal."""

from __future__ import annotations

import base64
import time
from typing import Any

import jwt
import orjson
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from portal_kit.principal import (
    ALGORITHM,
    AUDIENCE,
    ISSUER,
    LIFETIME_SECONDS,
    InvalidPrincipal,
    Principal,
    PrincipalSigner,
    PrincipalVerifier,
    generate_key_pair,
)
from portal_kit.testing.plugin import make_principal
from pydantic import ValidationError


@pytest.fixture
def verifier(principal_keys: tuple[bytes, bytes]) -> PrincipalVerifier:
    return PrincipalVerifier(principal_keys[1])


def _principal() -> Principal:
    return make_principal(
        "acme",
        user="u-42",
        staff=True,
        memberships={"org-1": ("admin", "billing")},
        scopes=("people:read",),
        locale="nb",
    )


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _encode(claims: dict[str, Any], private_pem: bytes) -> str:
    key = serialization.load_pem_private_key(private_pem, password=None)
    return jwt.encode(claims, key, algorithm=ALGORITHM)  # type: ignore[arg-type]


def _claims(**changes: Any) -> dict[str, Any]:
    now = int(time.time())
    claims: dict[str, Any] = {
        "iss": ISSUER,
        "aud": AUDIENCE,
        "iat": now,
        "exp": now + 60,
        "principal": _principal().model_dump(mode="json"),
    }
    claims.update(changes)
    return {k: v for k, v in claims.items() if v is not None}


def test_sign_and_verify_roundtrip(signer: PrincipalSigner, verifier: PrincipalVerifier) -> None:
    principal = _principal()
    verified = verifier.verify(signer.sign(principal))
    assert verified == principal
    assert verified.authenticated
    assert verified.roles_in("org-1") == ("admin", "billing")
    assert verified.roles_in("org-2") == ()
    assert verified.organisations == ("org-1",)
    assert verified.has_scope("people:read")
    assert not verified.platform_admin


def test_the_active_organisation_is_carried_and_narrows_whom_the_caller_acts_for(
    signer: PrincipalSigner, verifier: PrincipalVerifier
) -> None:
    both = {"bpo": ("user",), "kunde-b": ("user",)}
    chosen = make_principal("acme", memberships=both, active_organisation="kunde-b")
    verified = verifier.verify(signer.sign(chosen))
    assert verified.active_organisation == "kunde-b"
    assert verified.acting_for == ("kunde-b",)
    assert verified.organisations == ("bpo", "kunde-b")
    # Not chosen: the caller acts for every organisation, as before there was a choice.
    assert make_principal("acme", memberships=both).acting_for == ("bpo", "kunde-b")


def test_an_active_organisation_that_is_not_a_membership_is_refused(
    principal_keys: tuple[bytes, bytes], verifier: PrincipalVerifier
) -> None:
    with pytest.raises(ValidationError, match="one of the memberships"):
        make_principal("acme", memberships={"bpo": ("user",)}, active_organisation="kunde-b")
    with pytest.raises(ValidationError, match="one of the memberships"):
        Principal(user="u-1", tenant="acme", active_organisation="bpo")
    # Nor does a signed principal naming one pass a subgraph's check.
    forged = _principal().model_dump(mode="json") | {"active_organisation": "org-2"}
    with pytest.raises(InvalidPrincipal, match="malformed"):
        verifier.verify(_encode(_claims(principal=forged), principal_keys[0]))


def test_tokens_are_unique(signer: PrincipalSigner) -> None:
    assert signer.sign(_principal()) != signer.sign(_principal())


def test_a_remembered_token_is_refused_once_it_expires(
    principal_keys: tuple[bytes, bytes], monkeypatch: pytest.MonkeyPatch
) -> None:
    verifier = PrincipalVerifier(principal_keys[1])
    token = PrincipalSigner(principal_keys[0]).sign(_principal())
    assert verifier.verify(token) == _principal()
    assert verifier.verify(token) == _principal()  # from memory
    later = time.time() + LIFETIME_SECONDS + 1
    monkeypatch.setattr(time, "time", lambda: later)
    with pytest.raises(InvalidPrincipal, match="expired"):
        verifier.verify(token)


def test_anonymous_principal() -> None:
    anonymous = Principal.anonymous("acme", locale="sv")
    assert not anonymous.authenticated
    assert anonymous.locale == "sv"


def test_expired_principal_is_refused(
    principal_keys: tuple[bytes, bytes], verifier: PrincipalVerifier
) -> None:
    expired = PrincipalSigner(principal_keys[0], lifetime_seconds=-1).sign(_principal())
    with pytest.raises(InvalidPrincipal, match="expired"):
        verifier.verify(expired)


def test_principal_signed_by_another_key_is_refused(verifier: PrincipalVerifier) -> None:
    other_private, _ = generate_key_pair()
    with pytest.raises(InvalidPrincipal):
        verifier.verify(PrincipalSigner(other_private).sign(_principal()))


@pytest.mark.parametrize(
    "token",
    [None, "", "garbage", "a.b.c", "eyJhbGciOiJub25lIn0.eyJ4IjoxfQ.", "x" * 10_000],
)
def test_garbage_is_refused(verifier: PrincipalVerifier, token: str | None) -> None:
    with pytest.raises(InvalidPrincipal):
        verifier.verify(token)


def test_tampered_claims_are_refused(signer: PrincipalSigner, verifier: PrincipalVerifier) -> None:
    header, payload, signature = signer.sign(_principal()).split(".")
    claims = orjson.loads(_unb64(payload))
    claims["principal"]["tenant"] = "globex"
    claims["principal"]["scopes"] = ["platform:admin"]
    forged = ".".join([header, _b64(orjson.dumps(claims)), signature])
    with pytest.raises(InvalidPrincipal):
        verifier.verify(forged)


def test_unsigned_token_is_refused(verifier: PrincipalVerifier) -> None:
    header = _b64(orjson.dumps({"alg": "none", "typ": "JWT"}))
    unsigned = f"{header}.{_b64(orjson.dumps(_claims()))}."
    with pytest.raises(InvalidPrincipal):
        verifier.verify(unsigned)


@pytest.mark.parametrize(
    "changes",
    [
        {"aud": "someone-else"},
        {"iss": "not-the-gateway"},
        {"exp": None},
        {"principal": None},
        {"principal": {"user": "u", "tenant": "Not A Tenant"}},
        {"principal": {"user": "u", "tenant": "acme", "extra": "field"}},
    ],
    ids=["audience", "issuer", "no-exp", "no-principal", "bad-tenant", "extra-field"],
)
def test_correctly_signed_but_wrong_claims_are_refused(
    principal_keys: tuple[bytes, bytes], verifier: PrincipalVerifier, changes: dict[str, Any]
) -> None:
    with pytest.raises(InvalidPrincipal):
        verifier.verify(_encode(_claims(**changes), principal_keys[0]))


def test_keys_of_the_wrong_kind_are_refused() -> None:
    private = ec.generate_private_key(ec.SECP256R1())
    private_pem = private.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    public_pem = private.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    with pytest.raises(ValueError, match="Ed25519"):
        PrincipalSigner(private_pem)
    with pytest.raises(ValueError, match="Ed25519"):
        PrincipalVerifier(public_pem)
