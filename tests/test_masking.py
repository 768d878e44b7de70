"""Masked forms by field kind: recognisable, never usable."""

from __future__ import annotations

import pytest

from rcmd_tui.data.crypto.columns import FieldKind
from rcmd_tui.data.crypto.masking import mask


@pytest.mark.parametrize(("kind", "value", "masked"), [
    (FieldKind.EMAIL, "john@example.com", "j***@e***.com"),
    (FieldKind.EMAIL, "kim.minsu@mail.co.kr", "k***@m***.kr"),
    (FieldKind.EMAIL, "not-an-email", "•••• (12 chars)"),
    (FieldKind.PHONE, "010-1234-5678", "***-****-5678"),
    (FieldKind.PHONE, "+82 10 1234 5678", "+** ** **** 5678"),
    (FieldKind.NAME, "김민수", "김**"),
    (FieldKind.NAME, "John Smith", "J*** S****"),
    (FieldKind.ADDRESS, "서울특별시 강남구 테헤란로 123", "서울특별시 ***"),
    (FieldKind.CARD, "신한 4321-****-****-9876", "신한 **** 9876"),
    (FieldKind.CARD, "4111111111111111", "**** 1111"),
    (FieldKind.IP, "203.0.113.45", "203.0.*.*"),
    (FieldKind.IP, "2001:db8::1", "2001:0db8:*:*:*:*:*:*"),
    (FieldKind.TEXT, "no onions please", "•••• (16 chars)"),
    (FieldKind.SECRET, "$2b$12$abcdefghijklmnopqrstuv", "••••••••"),
])
def test_mask_by_kind(kind: FieldKind, value: str, masked: str) -> None:
    assert mask(kind, value) == masked


@pytest.mark.parametrize("kind", [k for k in FieldKind if k is not FieldKind.OPEN])  # OPEN: a business's words, shown
def test_masks_never_contain_the_whole_value(kind: FieldKind) -> None:
    for value in ("john.doe@example.com", "010-9876-5432", "홍길동", "192.168.10.20", "x"):
        assert mask(kind, value) != value
