"""Monitoring for on-call: what each PostgreSQL target and RCMD's Redis are doing now.

Every view here is a snapshot (read whole each refresh, sorted and filtered in memory), so a screen costs the
server one statement per view per refresh however it is used. Each module holds its views as ``VIEWS``;
:mod:`rcmd_tui.data.monitor.views` gathers them.
"""
