"""The data layer: connections, queries, crypto, migrations and demo data. Never imports textual."""
