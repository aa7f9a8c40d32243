"""One-file bundles of a trained model: save before a demo, load in the app or the CLI.

A bundle is a zip holding ``manifest.json`` (format, version, model kind, settings,
dictionary, summary, training history) and the weights: ``weights.npz`` (plain float
arrays) for the low-level model, ``model.keras`` (loaded with ``safe_mode=True``, so no
Lambda or other code runs) for a Keras model. Nothing in it is pickled, and loading checks
every part before anything is built, so a damaged or foreign file is refused with a
message and changes nothing.
"""

from __future__ import annotations

import io
import json
import tempfile
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


KERAS_KINDS = ("keras", "lm", "sentiment")


SNAPSHOT_FIELDS = ("i", "f", "g", "o", "c", "h", "c0", "h0")  # what the replay draws


def run_record(run) -> tuple[dict, list]:
    """(history, gate snapshots) of a training run, for ``to_bytes``."""
    if run is None:
        return {}, []
    snap = run.snapshot(max_points=5000)
    history = {"iterations": snap.iterations, "loss": snap.loss, "accuracy": snap.accuracy,
               "average_accuracy": snap.average_accuracy, "seconds": snap.seconds,
               "evals": snap.evals, "status": run.status, "label": run.label,
               "total_iterations": snap.total_iterations,
               "accuracy_window": getattr(run, "accuracy_window", 1),
               "probe_symbols": list(snap.extra.get("probe_symbols", []))}
    return history, run.snapshots()


def _snapshot_bytes(snapshots: list) -> bytes:
    arrays = {}
    for k, (_, layers) in enumerate(snapshots):
        for n, layer in enumerate(layers):
            for name in SNAPSHOT_FIELDS:
                arrays[f"s{k}_l{n}_{name}"] = np.asarray(getattr(layer, name), np.float32)
    out = io.BytesIO()
    np.savez_compressed(out, **arrays)
    return out.getvalue()


def to_bytes(trained, history: dict | None = None, snapshots: list | None = None) -> bytes:
    """The bundle of a trained model, with its training history and gate snapshots (a
    list of (iteration, [LayerTrace])) when given."""
    manifest = {
        "format": FORMAT,
        "version": VERSION,
        "kind": trained.kind,
        "config": trained.config.to_dict(),
        "lowercase": trained.lowercase,
        "summary": trained.summary,
        "history": history or {},
        "text_symbols": list(getattr(trained, "text_symbols", []))[:MAX_TEXT_SYMBOLS],
        "snapshots": {"iterations": [int(it) for it, _ in snapshots or []],
                      "layers": len(snapshots[0][1]) if snapshots else 0},
    }
    if trained.kind == "sentiment":  # the words it knows: word -> rank in Keras's index
        manifest["words"] = trained.words
        manifest["index_source"] = trained.index_source
        manifest["data_name"] = trained.data_name
    else:
        manifest["reverse"] = trained.reverse
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("manifest.json", json.dumps(manifest))
        if snapshots:
            zf.writestr("snapshots.npz", _snapshot_bytes(snapshots))
        if trained.kind in KERAS_KINDS:
            zf.writestr("model.keras", _keras_bytes(trained.model))
        else:
            weights = io.BytesIO()
            np.savez(weights, **trained.model.weights())
            zf.writestr("weights.npz", weights.getvalue())
    return out.getvalue()


def _keras_bytes(model) -> bytes:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "model.keras"
        model.save(path)
        return path.read_bytes()


def save(trained, path: str | Path, history: dict | None = None,
         snapshots: list | None = None) -> Path:
    """Write a bundle to ``path``; a directory gets ``FILENAME`` inside it."""
    path = Path(path)
    if path.suffix != ".zip":
        path.mkdir(parents=True, exist_ok=True)
        path = path / FILENAME
    path.write_bytes(to_bytes(trained, history, snapshots))
    return path


def read_snapshots(data: bytes, manifest: dict) -> list:
    """The gate snapshots of a bundle as (iteration, [LayerTrace]); [] when it has none
    or they do not fit (a replay is a view; a bad one is dropped, not fatal)."""
    from lstm_demo.gates import LayerTrace

    info = manifest.get("snapshots") or {}
    iterations, n_layers = info.get("iterations") or [], info.get("layers") or 0
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
        if "snapshots.npz" not in zf.namelist() or not isinstance(n_layers, int):
            return []
        with np.load(io.BytesIO(zf.read("snapshots.npz")), allow_pickle=False) as npz:
            out = []
            for k, iteration in enumerate(iterations):
                layers = []
                for n in range(n_layers):
                    f = {name: npz[f"s{k}_l{n}_{name}"] for name in SNAPSHOT_FIELDS}
                    empty = np.zeros((f["h"].shape[0], 0), np.float32)  # parts not kept
                    layers.append(LayerTrace(x_part=empty, h_part=empty,
                                             bias=np.zeros(0, np.float32), **f))
                out.append((int(iteration), layers))
            return out
    except Exception:  # noqa: BLE001  (any damage here only loses the replay)
        return []


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
    if "manifest.json" not in names or not names & {"weights.npz", "model.keras"}:
        raise BundleError("This zip is not an lstm-demo model bundle (no manifest/weights).")
    # Sizes as the zip declares them, checked before anything is unpacked: a small file
    # that unpacks to gigabytes is refused here.
    unpacked = sum(info.file_size for info in zf.infolist())
    if unpacked > MAX_BYTES:
        raise BundleError(f"The bundle unpacks to {unpacked / 2**20:,.0f} MB, over the "
                          f"{MAX_BYTES // 2**20} MB limit.")
    try:
        manifest = json.loads(zf.read("manifest.json"))
        weight_name = "model.keras" if "model.keras" in names else "weights.npz"
        weight_bytes = zf.read(weight_name)
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as exc:
        raise BundleError(f"The bundle is damaged: {exc}") from exc
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise BundleError("This zip is not an lstm-demo model bundle (wrong format tag).")
    if manifest.get("version") != VERSION:
        raise BundleError(
            f"Bundle format version {manifest.get('version')!r} is not supported "
            f"(this app reads version {VERSION})."
        )
    kind = manifest.get("kind")
    if kind in KERAS_KINDS and weight_name == "model.keras":
        return _load_keras(manifest, weight_bytes), manifest
    if kind != "lowlevel" or weight_name != "weights.npz":
        raise BundleError(f"Unknown model kind {kind!r} in the bundle.")
    try:
        with np.load(io.BytesIO(weight_bytes), allow_pickle=False) as npz:
            weights = {name: npz[name] for name in npz.files}
    except Exception as exc:  # numpy raises several types for a bad archive
        raise BundleError(f"The bundle's weights cannot be read: {exc}") from exc
    return _load_lowlevel(manifest, weights), manifest


_SUMMARY_TYPES = {"accuracy": float, "loss": float, "average_accuracy": float,
                  "train_seconds": float, "iterations": int, "pairs": int, "parameters": int,
                  "reached_target": bool, "stopped": bool, "device": str,
                  # the language model
                  "perplexity": float, "train_perplexity": float, "heldout_accuracy": float,
                  "oov_rate": float, "vocabulary": int, "train_symbols": int,
                  "heldout_symbols": int,
                  # the sentiment model
                  "test_accuracy": float, "test_loss": float, "epochs": int,
                  "train_reviews": int, "heldout_reviews": int, "test_reviews": int,
                  "kept_epoch": int,
                  "data": str}


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
    for key in ("accuracy", "heldout_accuracy", "test_accuracy", "oov_rate"):
        if not 0.0 <= clean.get(key, 0.0) <= 1.0:
            del clean[key]
    return clean


def _settings(kind: str):
    """(config class, validate) for a kind of model."""
    if kind == "lm":
        from lstm_demo.config import LanguageModelConfig, validate_lm

        return LanguageModelConfig, validate_lm
    if kind == "sentiment":
        from lstm_demo.config import SentimentConfig
        from lstm_demo.config import validate_sentiment as validate

        return SentimentConfig, validate
    from lstm_demo import config as settings

    return settings.LowLevelConfig, settings.validate


def _common(manifest: dict):
    """The dictionary, settings, summary and text every kind of bundle has, checked."""
    kind = manifest.get("kind")
    if kind == "sentiment":
        words = manifest.get("words")
        if (not isinstance(words, dict) or not words
                or not all(isinstance(w, str) and isinstance(r, int) and not isinstance(r, bool)
                           and r >= 1 for w, r in words.items())):
            raise BundleError("The bundle's word index is missing or malformed.")
        reverse = words
    else:
        reverse = manifest.get("reverse")
        if (not isinstance(reverse, list) or len(reverse) < 2
                or not all(isinstance(s, str) for s in reverse)
                or len(set(reverse)) != len(reverse)):
            raise BundleError("The bundle's dictionary is missing or malformed.")
    config_data = manifest.get("config")
    if not isinstance(config_data, dict):
        raise BundleError("The bundle has no model settings.")
    config_class, validate = _settings(kind)
    try:
        config = config_class.from_dict(config_data)
    except TypeError as exc:
        raise BundleError(f"The bundle's settings are malformed: {exc}") from exc
    problems = validate(config)
    if problems:
        raise BundleError("The bundle's settings are out of range: " + " ".join(problems))
    text = manifest.get("text_symbols")
    text = [s for s in text if isinstance(s, str)] if isinstance(text, list) else []
    return (reverse, config, bool(manifest.get("lowercase", True)),
            _clean_summary(manifest.get("summary")), text)


def _load_keras(manifest: dict, data: bytes):
    import keras

    from lstm_demo import keras_models, sentiment

    kind = manifest["kind"]
    reverse, config, lowercase, summary, text = _common(manifest)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "model.keras"
        path.write_bytes(data)
        try:
            model = keras.saving.load_model(path, safe_mode=True, compile=False)
        except Exception as exc:  # Keras raises many types; none may reach the page
            raise BundleError(f"The Keras model in the bundle cannot be loaded safely: "
                              f"{type(exc).__name__}: {str(exc)[:300]}") from exc
    allowed = (keras.layers.InputLayer, keras.layers.Embedding, keras.layers.LSTM,
               keras.layers.Dense, keras.layers.Dropout, keras.layers.TimeDistributed)
    layers = list(model.layers) + [getattr(layer, "layer", None) for layer in model.layers
                                   if isinstance(layer, keras.layers.TimeDistributed)]
    if not all(isinstance(layer, allowed) for layer in layers):
        raise BundleError("The Keras model in the bundle has layers this app does not build.")
    expected = {"keras": ((None, 3), (None, len(reverse))),
                "lm": ((None, None), (None, None, len(reverse))),
                "sentiment": ((None, getattr(config, "maxlen", 0)), (None, 1))}[kind]
    if (tuple(model.input_shape), tuple(model.output_shape)) != expected:
        raise BundleError("The Keras model does not fit the bundle's dictionary and settings "
                          f"(input {model.input_shape}, output {model.output_shape}).")
    embedding = model.layers[0]
    vocab = config.num_words if kind == "sentiment" else len(reverse)
    if not isinstance(embedding, keras.layers.Embedding) or embedding.input_dim != vocab:
        raise BundleError("The Keras model's embedding does not fit the bundle's vocabulary.")
    if kind == "sentiment":
        return sentiment.TrainedSentiment(
            model, config, reverse, summary, str(manifest.get("index_source", "")),
            str(manifest.get("data_name", "")), text)
    if kind == "lm":
        return keras_models.TrainedLanguageModel(model, reverse, lowercase, config, summary, text)
    return keras_models.TrainedKerasThreeSymbol(model, reverse, lowercase, config, summary, text)


def _load_lowlevel(manifest: dict, weights: dict):
    from lstm_demo import lowlevel

    reverse, config, lowercase, summary, text = _common(manifest)
    for name, value in weights.items():
        if value.dtype.kind != "f":
            raise BundleError(f"Weight {name} is not a float array.")
    try:
        model = lowlevel.ThreeSymbolModel(len(reverse), config, weights)
    except ValueError as exc:
        raise BundleError(f"The weights do not fit the settings and dictionary: {exc}") from exc
    return lowlevel.TrainedThreeSymbol(model, reverse, lowercase, config, summary, text)


def _clean_history(history) -> dict:
    """Only lists of numbers and evaluations of numbers: a bundle is data from anywhere."""
    if not isinstance(history, dict):
        return {}

    def numbers(values):
        return [v for v in values if isinstance(v, (int, float)) and not isinstance(v, bool)] \
            if isinstance(values, list) else []

    clean = {name: numbers(history.get(name)) for name in
             ("iterations", "loss", "accuracy", "average_accuracy", "seconds")}
    clean["evals"] = [
        {k: v for k, v in e.items() if isinstance(k, str)
         and (isinstance(v, (int, float, str)) and not isinstance(v, bool))}
        for e in history.get("evals", []) if isinstance(e, dict)
        and isinstance(e.get("iteration"), int)] if isinstance(history.get("evals"), list) else []
    for key, kind in (("status", str), ("label", str), ("total_iterations", int),
                      ("accuracy_window", int)):
        if isinstance(history.get(key), kind) and not isinstance(history.get(key), bool):
            clean[key] = history[key]
    probe = history.get("probe_symbols")
    clean["probe_symbols"] = [s for s in probe if isinstance(s, str)] \
        if isinstance(probe, list) else []
    return clean


def restore(data: bytes):
    """(trained model, RestoredRun) from bundle bytes: the model, and its run as the pages
    show a finished run (curves, result, replay). Raises BundleError like ``from_bytes``."""
    from lstm_demo.training import RestoredRun

    trained, manifest = from_bytes(data)
    history = _clean_history(manifest.get("history"))
    snapshots = read_snapshots(data, manifest)
    probe = history.get("probe_symbols", [])
    if snapshots and any(layer.steps != len(probe) for _, layers in snapshots for layer in layers):
        snapshots = []  # they do not fit the probe text: no replay rather than a wrong one
    return trained, RestoredRun(trained, history, snapshots, trained.kind)
