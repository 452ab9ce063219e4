"""The user pool's password policy, as the pattern the gallery's OpenAPI document gives it."""

from __future__ import annotations

import re

from gallery.openapi import password_pattern

COGNITO_DEFAULT = {
    "MinimumLength": 8,
    "RequireUppercase": True,
    "RequireLowercase": True,
    "RequireNumbers": True,
    "RequireSymbols": False,
}


def accepts(policy: dict, password: str) -> bool:
    return re.search(password_pattern(policy), password) is not None


def test_the_pattern_says_what_the_policy_requires():
    assert accepts(COGNITO_DEFAULT, "Corr3ct-horse")
    assert accepts(COGNITO_DEFAULT, "Abcdefg1")
    for weak in ("abcdefg1", "ABCDEFG1", "Abcdefgh", "Abcde1"):
        assert not accepts(COGNITO_DEFAULT, weak), weak
    # Line breaks count as characters, as Cognito counts them.
    assert accepts(COGNITO_DEFAULT, "Abc\ndef1")


def test_symbols_and_length_follow_the_policy():
    strict = {**COGNITO_DEFAULT, "MinimumLength": 12, "RequireSymbols": True}
    assert not accepts(strict, "Abcdefghijk1")
    assert accepts(strict, "Abcdefghijk1!")
    assert accepts(strict, "Abcdefghijk1 ")  # a space is one of Cognito's symbols
    assert not accepts(strict, "Abcdefg1!")
    assert accepts({}, "anything at all")
