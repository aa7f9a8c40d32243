"""TensorFlow, loaded in the background, and the devices it sees.

Importing TensorFlow takes about 5 s on a small CPU machine. The app starts that import on a
background thread the moment it starts, so the first page is drawn at once and the pages
that need TensorFlow usually find it ready by the time someone clicks.
"""

from __future__ import annotations

import contextlib
import os
import re
import sys
import tempfile
import threading

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # keep TF's C++ start-up chatter quiet

_import_thread: threading.Thread | None = None
_import_error: str | None = None
_lock = threading.Lock()
_first_page_sent = threading.Event()


# TensorFlow's C++ start-up lines ("oneDNN custom operations are on", "Could not find cuda
# drivers", "failed call to cuInit") are written before its log level is read, so
# TF_CPP_MIN_LOG_LEVEL cannot hide them. They are filtered out of file descriptor 2 instead.
_TF_NOISE = re.compile(
    rb"^(?:[IWE]\d{4} [\d:. ]+\s+\d+ \S+:\d+\]|WARNING: All log messages before absl)")


@contextlib.contextmanager
def quiet_tf_startup():
    """Hold back TensorFlow's C++ start-up lines; pass every other stderr line through."""
    try:
        sys.stderr.flush()
        saved = os.dup(2)
    except (OSError, ValueError):  # no real stderr (e.g. some test runners): nothing to do
        yield
        return
    with tempfile.TemporaryFile() as held:
        os.dup2(held.fileno(), 2)
        try:
            yield
        finally:
            sys.stderr.flush()
            os.dup2(saved, 2)
            os.close(saved)
            held.seek(0)
            kept = [line for line in held.read().splitlines(keepends=True)
                    if not _TF_NOISE.match(line)]
            if kept:
                os.write(2, b"".join(kept))


def import_tensorflow():
    """Import TensorFlow (and look for GPUs once) without its start-up chatter."""
    with quiet_tf_startup():
        import tensorflow as tf

        tf.config.list_physical_devices("GPU")
    return tf


def _import_tf() -> None:
    global _import_error
    # Importing TF is mostly Python bytecode, so it holds the GIL: started at once, it
    # slowed the first page by ~2.5 s. Wait (briefly) until that page has been sent.
    _first_page_sent.wait(timeout=10)
    try:
        import_tensorflow()
    except Exception as exc:  # shown on the page instead of a traceback
        _import_error = f"{type(exc).__name__}: {exc}"


def start_background_import() -> None:
    """Start importing TensorFlow on a daemon thread (once per process)."""
    global _import_thread
    with _lock:
        if _import_thread is None and "tensorflow" not in sys.modules:
            _import_thread = threading.Thread(target=_import_tf, name="tf-import", daemon=True)
            _import_thread.start()


def first_page_sent() -> None:
    """Called by the app when a page has been drawn: the background import may begin."""
    _first_page_sent.set()


def tf_ready() -> bool:
    if _import_thread is not None:
        return not _import_thread.is_alive() and _import_error is None
    return "tensorflow" in sys.modules and _import_error is None


def import_error() -> str | None:
    return _import_error


def list_devices() -> list[tuple[str, str]]:
    """(TensorFlow device name, label) for the CPU and each GPU TensorFlow sees."""
    tf = import_tensorflow()

    devices = [("/CPU:0", "CPU")]
    for index, gpu in enumerate(tf.config.list_physical_devices("GPU")):
        try:
            name = tf.config.experimental.get_device_details(gpu).get("device_name", "")
        except Exception:
            name = ""
        devices.append((f"/GPU:{index}", f"GPU {index}" + (f" ({name})" if name else "")))
    return devices


def describe(device: str) -> str:
    """'/job:localhost/replica:0/task:0/device:GPU:0' -> 'GPU:0'."""
    return device.rsplit("device:", 1)[-1].lstrip("/") if device else "?"
