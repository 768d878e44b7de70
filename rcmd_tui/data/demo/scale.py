"""How much demo data: ``small`` for the demo and tests, ``large`` for benchmarks."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Scale:
    name: str
    rcmd_users: int
    rcmd_jobs: int
    rcmd_audit: int
    rcmd_notifications: int
    os_users: int
    os_restaurants: int
    os_orders: int
    os_login_attempts: int
    os_audit: int
    bull_keep: int  # completed/failed jobs kept in Bull's sets, like removeOnComplete: N


SCALES = {
    "small": Scale("small", rcmd_users=150, rcmd_jobs=1500, rcmd_audit=20_000, rcmd_notifications=1500,
                   os_users=600, os_restaurants=40, os_orders=4000, os_login_attempts=4000, os_audit=20_000,
                   bull_keep=1000),
    "large": Scale("large", rcmd_users=20_000, rcmd_jobs=300_000, rcmd_audit=5_000_000, rcmd_notifications=200_000,
                   os_users=100_000, os_restaurants=5000, os_orders=500_000, os_login_attempts=500_000,
                   os_audit=5_000_000, bull_keep=1000),
}
