"""Ordered SQL migrations, one folder per system."""
