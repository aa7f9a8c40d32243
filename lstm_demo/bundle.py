"""One-file bundles of a trained model: save before a demo, load in the app or the CLI.

A bundle is a zip holding ``manifest.json`` (format, version, model kind, settings,
dictionary, summary, training history) and ``weights.npz`` (plain float arrays). Nothing in
it is pickled, and loading checks every part before anything is built, so a damaged or
foreign file is refused with a message and changes nothing.
"""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import numpy as np

FORMAT = "lstm-demo-bundle"
VERSION = 1
MAX_BYTES = 200 * 1024 * 1024
FILENAME = "lstm-demo-model.zip"  # the file `--save DIR` writes inside DIR
MAX_TEXT_SYMBOLS = 20_000  # of the training text, kept for the Gates page


class BundleError(ValueError):
    """A file that cannot be loaded as a model; the message says why."""


def to_bytes(trained, history: dict | None = None) -> bytes:
    manifest = {
        "format": FORMAT,
        "version": VERSION,
        "kind": trained.kind,
        "config": trained.config.to_dict(),
        "reverse": trained.reverse,
        "lowercase": trained.lowercase,
        "summary": trained.summary,
        "history": history or {},
        "text_symbols": list(getattr(trained, "text_symbols", []))[:MAX_TEXT_SYMBOLS],
    }
    weights = io.BytesIO()
    np.savez(weights, **trained.model.weights())
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("manifest.json", json.dumps(manifest))
        zf.writestr("weights.npz", weights.getvalue())
    return out.getvalue()


def save(trained, path: str | Path, history: dict | None = None) -> Path:
    """Write a bundle to ``path``; a directory gets ``FILENAME`` inside it."""
    path = Path(path)
    if path.suffix != ".zip":
        path.mkdir(parents=True, exist_ok=True)
        path = path / FILENAME
    path.write_bytes(to_bytes(trained, history))
    return path


def read(path: str | Path) -> tuple[object, dict]:
    path = Path(path)
    if path.is_dir():
        path = path / FILENAME
    if not path.exists():
        raise BundleError(f"No model bundle at {path}. Save one with `train --save DIR`.")
    if path.stat().st_size > MAX_BYTES:
        raise BundleError(f"{path} is over the {MAX_BYTES // 2**20} MB bundle limit.")
    return from_bytes(path.read_bytes())


def from_bytes(data: bytes) -> tuple[object, dict]:
    """Return (trained model, manifest) or raise BundleError."""
    if len(data) > MAX_BYTES:
        raise BundleError(f"The file is over the {MAX_BYTES // 2**20} MB bundle limit.")
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
        names = set(zf.namelist())
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise BundleError("This is not an lstm-demo model bundle (not a zip file).") from exc
    if not {"manifest.json", "weights.npz"} <= names:
        raise BundleError("This zip is not an lstm-demo model bundle (no manifest/weights).")
    # Sizes as the zip declares them, checked before anything is unpacked: a small file
    # that unpacks to gigabytes is refused here.
    unpacked = sum(info.file_size for info in zf.infolist())
    if unpacked > MAX_BYTES:
        raise BundleError(f"The bundle unpacks to {unpacked / 2**20:,.0f} MB, over the "
                          f"{MAX_BYTES // 2**20} MB limit.")
    try:
        manifest = json.loads(zf.read("manifest.json"))
        weight_bytes = zf.read("weights.npz")
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as exc:
        raise BundleError(f"The bundle is damaged: {exc}") from exc
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise BundleError("This zip is not an lstm-demo model bundle (wrong format tag).")
    if manifest.get("version") != VERSION:
        raise BundleError(
            f"Bundle format version {manifest.get('version')!r} is not supported "
            f"(this app reads version {VERSION})."
        )
    try:
        with np.load(io.BytesIO(weight_bytes), allow_pickle=False) as npz:
            weights = {name: npz[name] for name in npz.files}
    except Exception as exc:  # numpy raises several types for a bad archive
        raise BundleError(f"The bundle's weights cannot be read: {exc}") from exc
    kind = manifest.get("kind")
    if kind == "lowlevel":
        return _load_lowlevel(manifest, weights), manifest
    raise BundleError(f"Unknown model kind {kind!r} in the bundle.")


_SUMMARY_TYPES = {"accuracy": float, "loss": float, "average_accuracy": float,
                  "train_seconds": float, "iterations": int, "pairs": int, "parameters": int,
                  "reached_target": bool, "stopped": bool, "device": str}


def _clean_summary(summary) -> dict:
    """Keep only the summary fields the app shows, each of the type it expects: a bundle is
    data from anywhere, and a page must not trip over ``"accuracy": "lots"``."""
    if not isinstance(summary, dict):
        return {}
    clean = {}
    for key, kind in _SUMMARY_TYPES.items():
        value = summary.get(key)
        if kind is float and isinstance(value, (int, float)) and not isinstance(value, bool):
            if value == value and abs(value) != float("inf"):  # not NaN or infinite
                clean[key] = float(value)
        elif kind is int and isinstance(value, int) and not isinstance(value, bool):
            clean[key] = value
        elif isinstance(value, kind):
            clean[key] = value
    if not 0.0 <= clean.get("accuracy", 0.0) <= 1.0:
        del clean["accuracy"]
    return clean


def _load_lowlevel(manifest: dict, weights: dict):
    from lstm_demo import config as settings
    from lstm_demo import lowlevel

    reverse = manifest.get("reverse")
    if (not isinstance(reverse, list) or len(reverse) < 2
            or not all(isinstance(s, str) for s in reverse) or len(set(reverse)) != len(reverse)):
        raise BundleError("The bundle's dictionary is missing or malformed.")
    config_data = manifest.get("config")
    if not isinstance(config_data, dict):
        raise BundleError("The bundle has no model settings.")
    try:
        config = settings.LowLevelConfig.from_dict(config_data)
    except TypeError as exc:
        raise BundleError(f"The bundle's settings are malformed: {exc}") from exc
    problems = settings.validate(config)
    if problems:
        raise BundleError("The bundle's settings are out of range: " + " ".join(problems))
    for name, value in weights.items():
        if value.dtype.kind != "f":
            raise BundleError(f"Weight {name} is not a float array.")
    try:
        model = lowlevel.ThreeSymbolModel(len(reverse), config, weights)
    except ValueError as exc:
        raise BundleError(f"The weights do not fit the settings and dictionary: {exc}") from exc
    summary = _clean_summary(manifest.get("summary"))
    text = manifest.get("text_symbols")
    text = [s for s in text if isinstance(s, str)] if isinstance(text, list) else []
    return lowlevel.TrainedThreeSymbol(
        model, reverse, bool(manifest.get("lowercase", True)), config, summary, text
    )
