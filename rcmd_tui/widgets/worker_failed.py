"""How a widget's failed worker reaches its screen's one error route.

Textual tells only the widget that ran a worker when it fails (``Worker.StateChanged`` does not bubble);
widgets that load data forward the exception, untouched, as this message, which does.
"""

from __future__ import annotations

from dataclasses import dataclass

from textual.message import Message
from textual.worker import Worker, WorkerState


@dataclass
class WorkerFailed(Message):
    error: BaseException
    group: str


def failure_of(event: Worker.StateChanged) -> WorkerFailed | None:
    """The message to post for a worker that has just failed, else None."""
    if event.state is WorkerState.ERROR and event.worker.error is not None:
        return WorkerFailed(event.worker.error, event.worker.group)
    return None
