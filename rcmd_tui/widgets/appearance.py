"""What the console can draw, handed to the configuration (which may not import textual) so that a banner or
theme it cannot draw is refused as the file is read, never a crash when the header first paints."""

from __future__ import annotations

from textual.css.styles import Styles
from textual.theme import BUILTIN_THEMES

from rcmd_tui.config import Appearance


def draws_as_colour(value: str) -> bool:
    """Whether the status header can take ``value`` as its background (it applies the banner just so)."""
    try:
        Styles().background = value
    except ValueError:  # StyleValueError, whatever the token that fails
        return False
    return True


def textual_appearance() -> Appearance:
    return Appearance(draws_as_colour, frozenset(BUILTIN_THEMES))
