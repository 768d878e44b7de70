"""The envelope: known-answer vectors, a strict parser, and typed failures for anything thrown at it."""

from __future__ import annotations

import base64
import contextlib
import json
import tempfile
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rcmd_tui.config import KeyringSettings
from rcmd_tui.data.crypto import envelope
from rcmd_tui.data.crypto.columns import column
from rcmd_tui.data.crypto.decrypt import Decryptor, Failure, FailureKind, KeyInfo, Plain
from rcmd_tui.data.crypto.keystore import DemoFileKeyring, KeyStore

VECTORS: dict[str, Any] = json.loads((Path(__file__).parent / "vectors" / "envelope_kat.json").read_text(encoding="utf-8"))


@pytest.mark.parametrize("vector", VECTORS["primitive"], ids=lambda v: v["name"])
def test_gcm_specification_vectors(vector: dict[str, str]) -> None:
    cipher = envelope.cipher_for(bytes.fromhex(vector["key"]))
    aad = bytes.fromhex(vector["aad"]) or None
    plaintext = bytes.fromhex(vector["plaintext_hex"])
    assert envelope.seal_bytes(cipher, plaintext, aad, bytes.fromhex(vector["nonce"])) == vector["envelope"]
    assert envelope.open_bytes(cipher, vector["envelope"], aad) == plaintext


@pytest.mark.parametrize("vector", VECTORS["envelope"], ids=lambda v: v["name"])
def test_envelope_vectors(vector: dict[str, Any]) -> None:
    cipher = envelope.cipher_for(bytes.fromhex(vector["key"]))
    aad = envelope.aad_for(vector["policy"], vector["table"], vector["column"], vector["row_id"])
    assert (aad.decode() if aad else None) == vector["aad"]
    assert envelope.encrypt(cipher, vector["plaintext"], aad, bytes.fromhex(vector["nonce"])) == vector["envelope"]
    assert envelope.decrypt(cipher, vector["envelope"], aad) == vector["plaintext"]


@pytest.mark.parametrize(("text", "why"), [
    ("AAECAwQFBgcICQoLLGu7NaiMrGj4AfLz0IQIAeb45FudtZKvC/f37Z8cdUL1Ku5+SQ==", "missing 'v1:' prefix"),
    ("v2:AAECAwQFBgcICQoLLGu7NaiMrGj4AfLz0IQIAeb45FudtZKvC/f37Z8cdUL1Ku5+SQ==", "missing 'v1:' prefix"),
    ("v1:AAECAwQFBgcICQoLLGu7NaiMrGj4AfLz0IQIAeb45Fud tZKvC/f37Z8cdUL1Ku5+SQ==", "not valid base64"),
    ("v1:AAECAwQFBgcICQoLLGu7NaiMrGj4AfLz0IQIAeb45FudtZKvC/f37Z8cdUL1Ku5+SQ==\n", "not valid base64"),
    ("v1:AAECAwQFBgcICQoLLGu7NaiMrGj4AfLz0IQIAeb45FudtZKvC/f37Z8cdUL1Ku5+SQ", "not valid base64"),
    ("v1:AAECAwQFBgcICQoLLGu7NaiMrGj4AfLz0IQIAeb45FudtZKvC_f37Z8cdUL1Ku5-SQ==", "not valid base64"),
    ("v1:" + base64.b64encode(bytes(27)).decode(), "too short"),
    ("v1:", "too short"),
])
def test_parser_is_strict(text: str, why: str) -> None:
    with pytest.raises(envelope.MalformedEnvelope, match=why):
        envelope.parse(text)


def test_shortest_valid_envelope_is_nonce_and_tag() -> None:
    sealed = envelope.parse("v1:" + base64.b64encode(bytes(28)).decode())
    assert len(sealed.nonce) == 12 and len(sealed.ciphertext_and_tag) == 16


_KEY = bytes(range(32))
_KEY_ID = "ordersync/pii/v9"
_dir = tempfile.TemporaryDirectory(prefix="rcmd-tui-hyp-")


def _decryptor() -> Decryptor:
    settings_ = KeyringSettings("rcmd-tui-hypothesis", f"{DemoFileKeyring.__module__}.DemoFileKeyring",
                                str(Path(_dir.name) / "keyring.cfg"))
    store = KeyStore(settings_)
    store.put(_KEY_ID, _KEY)
    return Decryptor(store, {_KEY_ID: KeyInfo(_KEY_ID, "pii", "ACTIVE", 9)})


DECRYPTOR = _decryptor()
EMAIL = column("users", "email")
GOOD = envelope.encrypt(envelope.cipher_for(_KEY), "kim.minsu@example.com", b"users.email")


def _mutations() -> st.SearchStrategy[str]:
    raw = base64.b64decode(GOOD[3:])
    flip = st.tuples(st.integers(0, len(raw) - 1), st.integers(1, 255)).map(
        lambda p: "v1:" + base64.b64encode(raw[:p[0]] + bytes([raw[p[0]] ^ p[1]]) + raw[p[0] + 1:]).decode())
    cut = st.integers(0, len(GOOD) - 1).map(lambda n: GOOD[:n])
    splice = st.tuples(st.integers(0, len(GOOD)), st.text(max_size=4)).map(lambda p: GOOD[:p[0]] + p[1] + GOOD[p[0]:])
    return st.one_of(flip, cut, splice, st.text(max_size=80), st.text(max_size=80).map(lambda t: "v1:" + t),
                     st.binary(max_size=80).map(lambda b: "v1:" + base64.b64encode(b).decode()))


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_mutations())
def test_random_and_mutated_envelopes_give_typed_failures(text: str) -> None:
    with contextlib.suppress(envelope.MalformedEnvelope):  # the parser raises only its own typed error
        envelope.parse(text)
    result = DECRYPTOR.field(EMAIL, text, _KEY_ID)
    if text == GOOD:
        assert result == Plain("kim.minsu@example.com", _KEY_ID)
    else:
        assert isinstance(result, Failure)
        assert result.kind in (FailureKind.MALFORMED, FailureKind.AUTH_FAILED, FailureKind.AAD_MISMATCH)


@settings(max_examples=100, deadline=None)
@given(st.one_of(st.none(), st.integers(), st.binary(max_size=20), st.text(max_size=20)),
       st.one_of(st.none(), st.integers(), st.text(max_size=20)))
def test_any_value_and_key_id_pair_gives_a_field(value: object, key_id: object) -> None:
    result = DECRYPTOR.field(EMAIL, value, key_id)
    assert result is None or isinstance(result, Failure | Plain)
