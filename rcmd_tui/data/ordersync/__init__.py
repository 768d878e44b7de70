"""OrderSync's domain: its views, its audit log, look-ups and reveals."""
