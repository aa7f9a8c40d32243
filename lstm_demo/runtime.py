"""TensorFlow, loaded in the background, and the devices it sees.

Importing TensorFlow takes about 5 s on a small CPU machine. The app starts that import on a
background thread the moment it starts, so the first page is drawn at once and the pages
that need TensorFlow usually find it ready by the time someone clicks.
"""

from __future__ import annotations

import os
import sys
import threading

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # keep TF's C++ start-up chatter quiet

_import_thread: threading.Thread | None = None
_import_error: str | None = None
_lock = threading.Lock()


def _import_tf() -> None:
    global _import_error
    try:
        import tensorflow  # noqa: F401
    except Exception as exc:  # shown on the page instead of a traceback
        _import_error = f"{type(exc).__name__}: {exc}"


def start_background_import() -> None:
    """Start importing TensorFlow on a daemon thread (once per process)."""
    global _import_thread
    with _lock:
        if _import_thread is None and "tensorflow" not in sys.modules:
            _import_thread = threading.Thread(target=_import_tf, name="tf-import", daemon=True)
            _import_thread.start()


def tf_ready() -> bool:
    if _import_thread is not None:
        return not _import_thread.is_alive() and _import_error is None
    return "tensorflow" in sys.modules and _import_error is None


def import_error() -> str | None:
    return _import_error


def wait_for_tf(timeout: float | None = None) -> bool:
    start_background_import()
    if _import_thread is not None:
        _import_thread.join(timeout)
    return tf_ready()


def list_devices() -> list[tuple[str, str]]:
    """(TensorFlow device name, label) for the CPU and each GPU TensorFlow sees."""
    import tensorflow as tf

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
    return device.rsplit("device:", 1)[-1] if device else "?"
