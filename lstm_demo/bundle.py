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


def to_bytes(trained, history: dict | None = None) -> bytes:
    manifest = {
        "format": FORMAT,
        "version": VERSION,
        "kind": trained.kind,
        "config": trained.config.to_dict(),
        "lowercase": trained.lowercase,
        "summary": trained.summary,
        "history": history or {},
        "text_symbols": list(getattr(trained, "text_symbols", []))[:MAX_TEXT_SYMBOLS],
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
