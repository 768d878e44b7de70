"""RCMD's domain: its views, its actions, its Redis."""
