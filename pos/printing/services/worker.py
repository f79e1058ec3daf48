"""The background retry worker: one daemon thread per app that retries pending print jobs every
`printer.retry_seconds`. It lives in the app's state (`AppState.extras["print_worker"]`), never
in a module global, so two apps in one process each have their own."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import datetime

from core.config import Settings
from core.db import Database
from core.web import AppState
from pos.printing.services.jobs import Delivery, retry_pending

log = logging.getLogger(__name__)


class RetryWorker:
    """A daemon thread that runs `retry_pending` every `interval` seconds until stopped."""

    def __init__(
        self,
        db: Database,
        settings: Settings,
        clock: Callable[[], datetime],
        *,
        interval: float | None = None,
    ) -> None:
        self.db = db
        self.settings = settings
        self.clock = clock
        self.interval = float(interval or settings.printer.retry_seconds)
        self._stop = threading.Event()
        self.thread = threading.Thread(target=self._run, name="print-retry", daemon=True)
        self.passes = 0

    def start(self) -> RetryWorker:
        self.thread.start()
        return self

    def run_once(self) -> dict[int, Delivery]:
        return retry_pending(self.db, self.settings, at=self.clock())

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                self.run_once()
            except Exception:  # keep retrying next time; never kill the thread
                log.exception("print retry pass failed")
            self.passes += 1

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        if self.thread.is_alive():
            self.thread.join(timeout)


def start_retry_worker(state: AppState, *, interval: float | None = None) -> RetryWorker | None:
    """Start the retry thread of an app, kept in its state's extras as "print_worker" (once);
    none when the printer is off."""
    if state.settings.printer.kind == "none":
        return None
    running = state.extras.get("print_worker")
    if isinstance(running, RetryWorker):
        return running
    worker = RetryWorker(state.db, state.settings, state.clock, interval=interval).start()
    state.extras["print_worker"] = worker
    return worker
