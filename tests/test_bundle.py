"""Model bundles: the round trip restores the same model; anything else is refused."""

import io
import json
import zipfile

import numpy as np
import pytest

from lstm_demo import bundle
from lstm_demo.bundle import BundleError


def _parts(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        return {name: zf.read(name) for name in zf.namelist()}


def _zip(parts: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as zf:
        for name, value in parts.items():
            zf.writestr(name, value)
    return out.getvalue()


def _with_manifest(data: bytes, **changes) -> bytes:
    parts = _parts(data)
    manifest = json.loads(parts["manifest.json"]) | changes
    parts["manifest.json"] = json.dumps(manifest).encode()
    return _zip(parts)


def test_round_trip_gives_the_same_predictions(trained_default, tmp_path):
    trained, corpus, _ = trained_default
    path = bundle.save(trained, tmp_path / "model", history={"loss": [1.0, 0.5]})
    assert path.name == bundle.FILENAME
    loaded, manifest = bundle.read(tmp_path / "model")
    assert loaded.reverse == trained.reverse and loaded.config == trained.config
    assert manifest["history"]["loss"] == [1.0, 0.5]
    np.testing.assert_allclose(loaded.next_probabilities(corpus.x),
                               trained.next_probabilities(corpus.x), atol=1e-6)


@pytest.fixture(scope="module")
def good_bytes(trained_default):
    return bundle.to_bytes(trained_default[0])


def test_not_a_zip_is_refused():
    with pytest.raises(BundleError, match="not a zip"):
        bundle.from_bytes(b"hello, I am a text file")


def test_truncated_bundle_is_refused(good_bytes):
    with pytest.raises(BundleError):
        bundle.from_bytes(good_bytes[: len(good_bytes) // 2])


def test_unknown_version_is_refused(good_bytes):
    with pytest.raises(BundleError, match="version 99"):
        bundle.from_bytes(_with_manifest(good_bytes, version=99))


def test_foreign_zip_is_refused():
    with pytest.raises(BundleError, match="not an lstm-demo model bundle"):
        bundle.from_bytes(_zip({"readme.txt": b"hi"}))


def test_dictionary_that_does_not_fit_the_weights_is_refused(good_bytes):
    manifest = json.loads(_parts(good_bytes)["manifest.json"])
    with pytest.raises(BundleError, match="do not fit"):
        bundle.from_bytes(_with_manifest(good_bytes, reverse=manifest["reverse"] + ["extra"]))


def test_settings_that_do_not_fit_the_weights_are_refused(good_bytes):
    manifest = json.loads(_parts(good_bytes)["manifest.json"])
    config = manifest["config"] | {"units": 64}
    with pytest.raises(BundleError, match="do not fit"):
        bundle.from_bytes(_with_manifest(good_bytes, config=config))


def test_out_of_range_settings_are_refused(good_bytes):
    manifest = json.loads(_parts(good_bytes)["manifest.json"])
    with pytest.raises(BundleError, match="out of range"):
        bundle.from_bytes(_with_manifest(good_bytes, config=manifest["config"] | {"layers": 9}))


def test_pickled_arrays_are_never_loaded(good_bytes):
    parts = _parts(good_bytes)
    evil = io.BytesIO()
    np.savez(evil, **{"dense/bias": np.array([object()], dtype=object)})
    parts["weights.npz"] = evil.getvalue()
    with pytest.raises(BundleError, match="cannot be read"):
        bundle.from_bytes(_zip(parts))


def test_oversized_file_is_refused_before_reading(monkeypatch, good_bytes):
    monkeypatch.setattr(bundle, "MAX_BYTES", 1000)
    with pytest.raises(BundleError, match="limit"):
        bundle.from_bytes(good_bytes)


def test_zip_bomb_is_refused_before_unpacking(good_bytes):
    parts = _parts(good_bytes)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, value in parts.items():
            zf.writestr(name, value)
        zf.writestr("padding.bin", b"\0" * (bundle.MAX_BYTES + 1))  # compresses to ~200 KB
    data = out.getvalue()
    assert len(data) < len(good_bytes) + 1_000_000  # the padding packs to ~200 KB
    with pytest.raises(BundleError, match="unpacks to"):
        bundle.from_bytes(data)


@pytest.mark.parametrize("summary", [{"accuracy": "lots"}, {"accuracy": None}, "nonsense",
                                     {"accuracy": 7.0, "iterations": "many"},
                                     {"accuracy": float("nan")}])
def test_odd_summaries_are_cleaned_not_trusted(good_bytes, summary):
    loaded, _ = bundle.from_bytes(_with_manifest(good_bytes, summary=summary))
    assert "accuracy" not in loaded.summary and "iterations" not in loaded.summary


def test_history_and_snapshots_round_trip(trained_default):
    trained, _, run = trained_default
    data = bundle.to_bytes(trained, *bundle.run_record(run))
    loaded, restored = bundle.restore(data)
    snap, original = restored.snapshot(max_points=5000), run.snapshot(max_points=5000)
    assert snap.iterations == original.iterations and snap.loss == original.loss
    assert snap.seconds == original.seconds and snap.evals == original.evals
    assert restored.status == run.status and restored.label == run.label
    assert restored.extra["probe_symbols"] == run.extra["probe_symbols"]
    ours, theirs = restored.snapshots(), run.snapshots()
    assert [it for it, _ in ours] == [it for it, _ in theirs]
    for (_, a), (_, b) in zip(ours, theirs):
        for la, lb in zip(a, b):
            for name in bundle.SNAPSHOT_FIELDS:
                assert np.array_equal(getattr(la, name), getattr(lb, name))
    assert loaded.reverse == trained.reverse


def test_damaged_snapshots_only_lose_the_replay(trained_default):
    trained, _, run = trained_default
    data = bundle.to_bytes(trained, *bundle.run_record(run))
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as dst:
        for name in src.namelist():
            body = src.read(name)
            dst.writestr(name, body[:len(body) // 2] if name == "snapshots.npz" else body)
    loaded, restored = bundle.restore(out.getvalue())
    assert restored.snapshots() == [] and restored.snapshot().iterations
    assert loaded.reverse == trained.reverse


def test_a_history_of_the_wrong_shape_is_cleaned(good_bytes):
    data = _with_manifest(good_bytes, history={
        "iterations": [1, 2, "three"], "loss": "lots", "evals": [{"x": 1}],
        "status": "running", "label": ["no"]})
    _, restored = bundle.restore(data)
    assert restored.iterations == [1, 2] and restored.status == "finished"
    assert restored.evals == [] and restored.label == ""
    assert np.isnan(restored.snapshot().loss).all()
