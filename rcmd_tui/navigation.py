"""Where the console can go: every destination of the `:` prompt and the command palette, and the screen
each opens (in the manner of Textual's ``MODES``).

Every view in the catalogue (``rcmd_tui/data/<system>/views.py``) is a destination, shown on the plain
:class:`ListScreen`; a view with a screen of its own (actions, its own detail) names it in ``SCREENS``, one
line each. Navigation sits above the screens, so no screen imports another to find it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from textual.screen import Screen

from rcmd_tui.config import Profile
from rcmd_tui.data.infra.services import Services
from rcmd_tui.data.lists.catalog import Place, resolve, views_for
from rcmd_tui.data.lists.spec import BOTH, ListSpec
from rcmd_tui.screens.activity import ActivityScreen, BackendsScreen
from rcmd_tui.screens.audit import OrderSyncAuditScreen
from rcmd_tui.screens.home import HomeScreen
from rcmd_tui.screens.jobs import JobsScreen
from rcmd_tui.screens.list_screen import ListScreen
from rcmd_tui.screens.orders import OrdersScreen
from rcmd_tui.screens.payments import PaymentsScreen
from rcmd_tui.screens.permissions import PermissionsScreen
from rcmd_tui.screens.queue import QueueScreen
from rcmd_tui.screens.redis_health import RedisHealthScreen
from rcmd_tui.screens.redis_keys import RedisKeysScreen
from rcmd_tui.screens.retention import RetentionScreen
from rcmd_tui.screens.schedules import SchedulesScreen
from rcmd_tui.screens.sessions import OrderSyncSessionsScreen, RcmdSessionsScreen
from rcmd_tui.screens.statements import StatementsScreen
from rcmd_tui.screens.storage import StorageScreen
from rcmd_tui.screens.users import OrderSyncUsersScreen, RcmdUsersScreen

# Views whose screen is more than the plain list: (view, system) -> its screen.
SCREENS: dict[tuple[str, str], type[ListScreen]] = {
    ("users", "rcmd"): RcmdUsersScreen,
    ("users", "ordersync"): OrderSyncUsersScreen,
    ("sessions", "rcmd"): RcmdSessionsScreen,
    ("permissions", "rcmd"): PermissionsScreen,
    ("sessions", "ordersync"): OrderSyncSessionsScreen,
    ("redis", "rcmd"): RedisKeysScreen,
    ("activity", "rcmd"): ActivityScreen,
    ("activity", "ordersync"): ActivityScreen,
    ("locks", "rcmd"): BackendsScreen,
    ("locks", "ordersync"): BackendsScreen,
    ("statements", "rcmd"): StatementsScreen,
    ("statements", "ordersync"): StatementsScreen,
    ("storage", "rcmd"): StorageScreen,
    ("storage", "ordersync"): StorageScreen,
    ("retention", "rcmd"): RetentionScreen,
    ("retention", "ordersync"): RetentionScreen,
    ("redis-health", "rcmd"): RedisHealthScreen,
    ("jobs", "rcmd"): JobsScreen,
    ("schedules", "rcmd"): SchedulesScreen,
    ("queue", "rcmd"): QueueScreen,
    ("orders", "ordersync"): OrdersScreen,
    ("audit", "ordersync"): OrderSyncAuditScreen,
    ("payments", "ordersync"): PaymentsScreen,
}

HOME = Place("home", None, "every target's health")


@dataclass(frozen=True, slots=True)
class Destination:
    place: Place
    make: Callable[[Services], Screen[None]]
    # Opens it filtered (what was typed after its name); None: a screen that takes no filter (home).
    make_filtered: Callable[[Services, str], Screen[None]] | None = None

    @property
    def name(self) -> str:
        return self.place.name

    @property
    def system(self) -> str | None:
        return self.place.system

    @property
    def command(self) -> str:
        return self.place.command


def list_screen(spec: ListSpec, filter_text: str | None = None) -> Callable[[Services], Screen[None]]:
    screen = SCREENS.get((spec.key, spec.system), ListScreen)
    return lambda services: screen(services, spec, filter_text)


def filtered_list_screen(spec: ListSpec) -> Callable[[Services, str], Screen[None]]:
    return lambda services, text: list_screen(spec, text)(services)


def destinations(profile: Profile) -> list[Destination]:
    found = [Destination(HOME, HomeScreen)]
    for spec in views_for(profile):
        system = None if spec.system == BOTH else spec.system
        found += [Destination(Place(name, system, spec.title), list_screen(spec), filtered_list_screen(spec))
                  for name in (spec.key, *spec.aliases)]
    return found


def destination_for(place: Place, profile: Profile) -> Destination:
    return resolve(place.command, destinations(profile))
