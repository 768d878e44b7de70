"""Realistic, internally consistent demo data for both systems, loaded with COPY."""
