"""Tests that feed the console what a careless or hostile hand would: malformed files, misplaced secrets."""
