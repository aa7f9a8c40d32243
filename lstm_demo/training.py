"""A training run that knows nothing about the model or the UI.

A *job* is any callable ``job(run) -> result``. It trains on the run's thread, reports each
chunk of steps through ``run.record_steps`` (and full evaluations through
``run.record_eval``), and checks ``run.should_stop()`` between chunks. Pages and the command
line only read from the run: ``run.snapshot()`` returns a consistent copy of its state.
The thread never touches Streamlit.
"""

from __future__ import annotations

import math
import os
import threading
import time
import traceback
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

STARTING, RUNNING, FINISHED, STOPPED, FAILED = "starting", "running", "finished", "stopped", "failed"
QUEUED = "queued"  # waiting for a free training slot on the server
LIVE = (QUEUED, STARTING, RUNNING)
MAX_SNAPSHOTS = 50  # gate snapshots kept per run; thinned evenly as the run grows


class QueueFull(RuntimeError):
    """The server's training queue is full; the message says so, for the page."""


def default_capacity() -> int:
    """Concurrent training runs per server: $LSTM_DEMO_MAX_RUNS, else one per CPU core
    (at least 2). Each run's TensorFlow ops use all cores, so more runs than cores only
    make every run slower."""
    value = os.environ.get("LSTM_DEMO_MAX_RUNS", "").strip()
    if value.isdigit() and int(value) > 0:
        return int(value)
    return max(2, os.cpu_count() or 1)


class Slots:
    """A server-wide cap on concurrent training runs, with a first-come first-served queue
    of bounded length behind it. One instance (``SLOTS``) is shared by every session."""

    def __init__(self, capacity: int | None = None, max_waiting: int = 30):
        self.capacity = capacity or default_capacity()
        self.max_waiting = max_waiting
        self._cond = threading.Condition()
        self._running: set = set()
        self._waiting: deque = deque()

    def admit(self, run) -> None:
        """Join the queue, or raise QueueFull when it is already full."""
        with self._cond:
            if len(self._running) >= self.capacity and len(self._waiting) >= self.max_waiting:
                raise QueueFull(
                    f"The server is busy: {len(self._running)} runs are training and "
                    f"{len(self._waiting)} are waiting (the limit). Try again in a minute.")
            self._waiting.append(run)

    def wait_turn(self, run, should_stop) -> bool:
        """Block until ``run`` is first in the queue and a slot is free (True), or until
        ``should_stop()`` (False, and the run leaves the queue)."""
        while True:
            stop = should_stop()  # outside the lock: it may take the run's own lock
            with self._cond:
                if stop:
                    if run in self._waiting:
                        self._waiting.remove(run)
                    self._cond.notify_all()
                    return False
                if self._waiting and self._waiting[0] is run and \
                        len(self._running) < self.capacity:
                    self._waiting.popleft()
                    self._running.add(run)
                    self._cond.notify_all()
                    return True
                self._cond.wait(0.2)

    def release(self, run) -> None:
        with self._cond:
            self._running.discard(run)
            if run in self._waiting:
                self._waiting.remove(run)
            self._cond.notify_all()

    def position(self, run) -> int | None:
        """1 for the next run to start, None when not waiting."""
        with self._cond:
            return self._waiting.index(run) + 1 if run in self._waiting else None

    def runs(self) -> list:
        """Every run training or waiting, oldest first."""
        with self._cond:
            return list(self._running) + list(self._waiting)

    def counts(self) -> dict:
        with self._cond:
            return {"running": len(self._running), "waiting": len(self._waiting),
                    "capacity": self.capacity}


SLOTS = Slots()


@dataclass
class Snapshot:
    """What a page needs to draw a run, copied under the run's lock."""

    status: str
    iteration: int
    total_iterations: int
    elapsed: float
    ms_per_iteration: float | None
    iterations: list[int]
    loss: list[float]
    accuracy: list[float]
    average_accuracy: list[float]
    seconds: list[float]
    evals: list[dict]
    device: str
    error: str | None
    message: str | None
    extra: dict = field(default_factory=dict)
    queue_position: int | None = None  # while QUEUED: 1 = next to start

    @property
    def live(self) -> bool:
        return self.status in LIVE

    @property
    def progress(self) -> float:
        return min(1.0, self.iteration / max(1, self.total_iterations))


def _thin(values: list, max_points: int) -> list:
    if len(values) <= max_points:
        return list(values)
    step = len(values) / max_points
    picked = [values[int(k * step)] for k in range(max_points)]
    picked[-1] = values[-1]
    return picked


class TrainingRun:
    """One training job on its own daemon thread, with a lock-protected record of metrics."""

    def __init__(
        self,
        job: Callable[[TrainingRun], Any],
        *,
        total_iterations: int,
        device: str = "/CPU:0",
        accuracy_window: int = 1,
        label: str = "",
        owner_alive: Callable[[], bool] | None = None,
        owner_grace: float = 5.0,
        kind: str = "",
        slots: Slots | None = None,
    ):
        self.job = job
        self.total_iterations = int(total_iterations)
        self.requested_device = device
        self.device = device
        self.accuracy_window = max(1, int(accuracy_window))
        self.label = label
        self.kind = kind  # which model (for comparisons); the run itself does not care
        # Who asked for this run (a browser tab): when ``owner_alive()`` has answered False
        # for ``owner_grace`` seconds, the run stops by itself, so a closed tab does not
        # keep a shared server's cores busy.
        self._owner_alive = owner_alive
        self._owner_grace = owner_grace
        self._owner_checked = 0.0
        self._owner_gone_since: float | None = None
        self.slots = slots or SLOTS
        self.status = STARTING
        self.error: str | None = None
        self.error_detail: str | None = None
        self.message: str | None = None
        self.result: Any = None
        self.extra: dict = {}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._iterations: list[int] = []
        self._loss: list[float] = []
        self._accuracy: list[float] = []
        self._seconds: list[float] = []  # since the start of the run, at each iteration
        self._average: list[float] = []
        self._window: deque[float] = deque(maxlen=self.accuracy_window)
        self._window_sum = 0.0
        self._evals: list[dict] = []
        self._iteration = 0
        self._ms_per_iteration: float | None = None
        self._started = self._ended = None
        self._snapshots: list[tuple[int, Any]] = []
        self.snapshot_every = max(1, math.ceil(self.total_iterations / (MAX_SNAPSHOTS - 2)))
        self._thread = threading.Thread(target=self._main, name="lstm-demo-training", daemon=True)

    # -- control (any thread) ----------------------------------------------------------
    def start(self) -> TrainingRun:
        """Queue the run for a training slot and start its thread; raises QueueFull (and
        starts nothing) when the server's queue is full."""
        self.slots.admit(self)
        self.status = QUEUED
        self._thread.start()
        return self

    def stop(self) -> None:
        """Ask the job to stop; it does so at the end of the chunk it is running."""
        self._stop.set()

    def join(self, timeout: float | None = None) -> bool:
        self._thread.join(timeout)
        return not self._thread.is_alive()

    @property
    def alive(self) -> bool:
        return self._thread.is_alive()

    @property
    def live(self) -> bool:
        return self.status in LIVE

    # -- reporting (the job's thread) --------------------------------------------------
    def should_stop(self) -> bool:
        if self._owner_alive is not None and not self._stop.is_set():
            now = time.monotonic()
            if now - self._owner_checked >= 1.0:
                self._owner_checked = now
                if self._owner_alive():
                    self._owner_gone_since = None
                elif self._owner_gone_since is None:
                    self._owner_gone_since = now
                elif now - self._owner_gone_since >= self._owner_grace:
                    self.set_message("Stopped: the browser tab that started it went away.")
                    self._stop.set()
        return self._stop.is_set()

    def set_device(self, device: str) -> None:
        with self._lock:
            self.device = device

    def set_message(self, message: str | None) -> None:
        with self._lock:
            self.message = message

    def set_total(self, total_iterations: int) -> None:
        """The job found out how many iterations the run has (e.g. after reading its data)."""
        with self._lock:
            self.total_iterations = int(total_iterations)
            if not self._snapshots:
                self.snapshot_every = max(1, math.ceil(self.total_iterations
                                                       / (MAX_SNAPSHOTS - 2)))

    def set_extra(self, **values) -> None:
        with self._lock:
            self.extra.update(values)

    def record_steps(self, losses, accuracies, seconds: float) -> None:
        """Record one chunk of consecutive training steps that took ``seconds``."""
        losses, accuracies = [float(v) for v in losses], [float(v) for v in accuracies]
        end = self.elapsed
        with self._lock:
            self.status = RUNNING
            for k, (loss, acc) in enumerate(zip(losses, accuracies)):
                self._seconds.append(end - seconds * (len(losses) - 1 - k) / len(losses))
                self._iteration += 1
                if len(self._window) == self._window.maxlen:
                    self._window_sum -= self._window[0]
                self._window.append(acc)
                self._window_sum += acc
                self._iterations.append(self._iteration)
                self._loss.append(loss)
                self._accuracy.append(acc)
                self._average.append(self._window_sum / len(self._window))
            if losses:
                self._ms_per_iteration = 1000.0 * seconds / len(losses)

    def record_eval(self, loss: float, accuracy: float, **extra) -> None:
        """Record an evaluation of the current weights (at the current iteration)."""
        with self._lock:
            self._evals.append(
                {"iteration": self._iteration, "loss": float(loss), "accuracy": float(accuracy)}
                | extra
            )

    def snapshot_due(self, iteration: int) -> bool:
        with self._lock:
            last = self._snapshots[-1][0] if self._snapshots else None
            return iteration % self.snapshot_every == 0 and iteration != last

    def next_snapshot_at(self, iteration: int) -> int:
        """The next iteration after ``iteration`` at which a snapshot is due."""
        return (iteration // self.snapshot_every + 1) * self.snapshot_every

    def add_snapshot(self, iteration: int, payload: Any) -> None:
        """Keep ``payload`` (e.g. a gate trace) for ``iteration``. Past MAX_SNAPSHOTS every
        other one is dropped and the interval doubles, so memory stays flat."""
        with self._lock:
            self._snapshots.append((int(iteration), payload))
            while len(self._snapshots) > MAX_SNAPSHOTS:
                self.snapshot_every *= 2
                kept = [s for s in self._snapshots if s[0] % self.snapshot_every == 0]
                if self._snapshots[-1] not in kept:  # always keep the newest
                    kept.append(self._snapshots[-1])
                self._snapshots = kept

    def snapshots(self) -> list[tuple[int, Any]]:
        with self._lock:
            return list(self._snapshots)

    def average_accuracy(self) -> float | None:
        with self._lock:
            return self._window_sum / len(self._window) if self._window else None

    # -- reading (any thread) ----------------------------------------------------------
    @property
    def iteration(self) -> int:
        return self._iteration

    @property
    def elapsed(self) -> float:
        if self._started is None:
            return 0.0
        return (self._ended or time.perf_counter()) - self._started

    def last_eval(self) -> dict | None:
        with self._lock:
            return dict(self._evals[-1]) if self._evals else None

    def snapshot(self, max_points: int = 2000) -> Snapshot:
        position = self.slots.position(self)  # not under our lock (lock order: slots first)
        with self._lock:
            return Snapshot(
                status=self.status,
                iteration=self._iteration,
                total_iterations=self.total_iterations,
                elapsed=self.elapsed,
                ms_per_iteration=self._ms_per_iteration,
                iterations=_thin(self._iterations, max_points),
                loss=_thin(self._loss, max_points),
                accuracy=_thin(self._accuracy, max_points),
                average_accuracy=_thin(self._average, max_points),
                seconds=_thin(self._seconds, max_points),
                evals=[dict(e) for e in self._evals],
                device=self.device,
                error=self.error,
                message=self.message,
                extra=dict(self.extra),
                queue_position=position if self.status == QUEUED else None,
            )

    # -- the thread --------------------------------------------------------------------
    def _main(self) -> None:
        if not self.slots.wait_turn(self, self.should_stop):
            with self._lock:  # stopped (or its tab closed) while waiting: nothing trained
                self.status = STOPPED
                self._started = self._ended = time.perf_counter()
            return
        with self._lock:
            self.status = STARTING
            self._started = time.perf_counter()
        try:
            from lstm_demo.runtime import import_tensorflow

            tf = import_tensorflow()  # here, so that pages never wait for it

            with tf.device(self.requested_device):
                result = self.job(self)
            with self._lock:
                self.result = result
                self.status = STOPPED if self._stop.is_set() else FINISHED
        except Exception as exc:  # the run ends; the server and earlier models do not
            with self._lock:
                # the app's own errors (TextError, DataError...) are messages for a person;
                # anything else keeps its type, which says more than the message alone
                own = type(exc).__module__.startswith("lstm_demo")
                self.error = str(exc) if own else f"{type(exc).__name__}: {exc}"
                self.error_detail = traceback.format_exc()
                self.status = FAILED
        finally:
            self._ended = time.perf_counter()
            self.slots.release(self)


class RestoredRun:
    """A finished run read back from a bundle: the read-only face of a TrainingRun
    (``snapshot``, ``snapshots``, ``status``, ``result``...), so that the pages draw its
    curves, result and replay exactly as they drew the run that made it."""

    live = alive = False
    error = error_detail = message = None

    def __init__(self, result, history: dict, snapshots: list, kind: str):
        self.result, self.kind = result, kind
        self.status = history.get("status") if history.get("status") in (FINISHED, STOPPED) \
            else FINISHED
        self.label = str(history.get("label", ""))[:300]
        self.accuracy_window = int(history.get("accuracy_window", 1))
        self.iterations = [int(v) for v in history.get("iterations", [])]
        n = len(self.iterations)
        self.series = {name: [float(v) for v in history.get(name, [])][:n]
                       for name in ("loss", "accuracy", "average_accuracy", "seconds")}
        for name, values in self.series.items():
            if len(values) != n:  # a history that does not line up is dropped, not guessed
                self.series[name] = [] if name == "seconds" else [float("nan")] * n
        self.evals = list(history.get("evals", []))
        self.total_iterations = int(history.get("total_iterations") or (self.iterations or [0])[-1])
        summary = getattr(result, "summary", {})
        self.device = str(summary.get("device", "/CPU:0"))
        self.extra = {"probe_symbols": list(history.get("probe_symbols", []))}
        self._snapshots = list(snapshots)

    @property
    def iteration(self) -> int:
        return self.iterations[-1] if self.iterations else 0

    @property
    def elapsed(self) -> float:
        return self.series["seconds"][-1] if self.series["seconds"] else 0.0

    def stop(self) -> None:
        pass

    def join(self, timeout: float | None = None) -> bool:
        return True

    def should_stop(self) -> bool:
        return True

    def last_eval(self) -> dict | None:
        return dict(self.evals[-1]) if self.evals else None

    def snapshots(self) -> list:
        return list(self._snapshots)

    def snapshot(self, max_points: int = 2000) -> Snapshot:
        s = self.series
        seconds = s["seconds"] or [0.0] * len(self.iterations)
        return Snapshot(
            status=self.status, iteration=self.iteration, total_iterations=self.total_iterations,
            elapsed=self.elapsed, ms_per_iteration=None,
            iterations=_thin(self.iterations, max_points), loss=_thin(s["loss"], max_points),
            accuracy=_thin(s["accuracy"], max_points),
            average_accuracy=_thin(s["average_accuracy"], max_points),
            seconds=_thin(seconds, max_points), evals=[dict(e) for e in self.evals],
            device=self.device, error=None, message=None, extra=dict(self.extra))
