"""The list engine: view specs, row sources, enrichers, filters, pages, export and reports."""
