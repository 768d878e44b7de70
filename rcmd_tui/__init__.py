"""rcmd-tui: a keyboard-driven console for the RCMD and OrderSync systems."""

__version__ = "0.1.0"
