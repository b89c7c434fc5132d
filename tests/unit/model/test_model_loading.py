"""Layer 5, model loading: plain arrays only, never pickles; clear ModelErrors for anything else."""

from __future__ import annotations

import json
import pickle
from pathlib import Path

import numpy as np
import pytest

from hypecheck import Detector, ModelError
from hypecheck.model import DEFAULT_MODEL_DIR, FORMAT, load_model


def _tiny_arrays() -> dict[str, np.ndarray]:
    """A minimal valid model: two terms, one named feature, sentence and document blocks."""
    arrays: dict[str, np.ndarray] = {}
    for prefix, labels in (("sent", ["return_promise", "any"]), ("doc", ["promotional"])):
        arrays[f"{prefix}.vocab"] = np.array(["kaufen", "prozent"], dtype=str)
        arrays[f"{prefix}.idf"] = np.array([1.5, 1.2])
        arrays[f"{prefix}.dict_names"] = np.array(["rule:any"], dtype=str)
        arrays[f"{prefix}.coef"] = np.ones((len(labels), 3))
        arrays[f"{prefix}.intercept"] = np.zeros(len(labels))
        arrays[f"{prefix}.labels"] = np.array(labels, dtype=str)
        arrays[f"{prefix}.sublinear_tf"] = np.array(True)
    arrays["doc.calibration"] = np.array([-1.0, 0.0])
    return arrays


def _write_model(folder: Path, arrays=None, card=None) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    np.savez(folder / "model.npz", **(arrays if arrays is not None else _tiny_arrays()))
    card = card if card is not None else {"format": FORMAT, "name": "tiny", "version": "t"}
    (folder / "model.json").write_text(json.dumps(card), encoding="utf-8")
    return folder


def _error(path, **kwargs) -> ModelError:
    with pytest.raises(ModelError) as info:
        load_model(path, **kwargs)
    return info.value


def test_tiny_model_loads_and_scores(tmp_path):
    model = load_model(_write_model(tmp_path / "m"))
    probs = model.sentence_probs(["kaufen", "kaufen", "unbekannt"], {"rule:any": 0.5, "unknown:feature": 3.0})
    assert set(probs) == {"return_promise", "any"}
    # tf-idf of 'kaufen' is l2-normalised to 1, plus 0.5 from the feature: sigmoid(1.5)
    assert probs["any"] == pytest.approx(1 / (1 + np.exp(-1.5)))
    # calibration a = -1, b = 0: p = 1 / (1 + exp(-z))
    assert model.document_probability([], {}) == pytest.approx(0.5)
    assert model.bands == (30, 70)  # the default when the card names none


def test_object_arrays_are_refused(tmp_path):
    arrays = _tiny_arrays()
    arrays["sent.vocab"] = np.array([{"term": "kaufen"}, "prozent"], dtype=object)  # needs pickle to load
    folder = _write_model(tmp_path / "m", arrays)
    err = _error(folder)
    assert err.code == "E020"
    assert "model.npz" in str(err)
    assert "pickle" in str(err).lower()


def test_pickle_disguised_as_npz_is_refused_and_never_executed(tmp_path):
    marker = tmp_path / "pwned"

    class Payload:
        def __reduce__(self):
            return (Path.touch, (marker,))

    folder = _write_model(tmp_path / "m")
    (folder / "model.npz").write_bytes(pickle.dumps(Payload()))
    err = _error(folder)
    assert err.code == "E020"
    assert not marker.exists()


def test_pickled_npz_member_is_refused_and_never_executed(tmp_path):
    marker = tmp_path / "pwned"

    class Payload:
        def __reduce__(self):
            return (Path.touch, (marker,))

    arrays = _tiny_arrays()
    arrays["doc.coef"] = np.array([Payload()], dtype=object)
    folder = _write_model(tmp_path / "m", arrays)
    err = _error(folder)
    assert err.code == "E020"
    assert not marker.exists()


def test_missing_files(tmp_path):
    err = _error(tmp_path)
    assert err.code == "E020"
    assert str(tmp_path) in str(err)
    assert "hypecheck train" in str(err)


def test_missing_array(tmp_path):
    arrays = _tiny_arrays()
    del arrays["doc.calibration"]
    err = _error(_write_model(tmp_path / "m", arrays))
    assert err.code == "E020"


def test_corrupt_npz(tmp_path):
    folder = _write_model(tmp_path / "m")
    (folder / "model.npz").write_bytes(b"PK\x03\x04 this is not a zip archive")
    assert _error(folder).code == "E020"


def test_unreadable_card(tmp_path):
    folder = _write_model(tmp_path / "m")
    (folder / "model.json").write_text("{not json", encoding="utf-8")
    err = _error(folder)
    assert err.code == "E020"
    assert "model.json" in str(err)


def test_unknown_format(tmp_path):
    folder = _write_model(tmp_path / "m", card={"format": "someone-else/9"})
    err = _error(folder)
    assert err.code == "E021"
    assert "someone-else/9" in str(err)


def test_rules_digest_mismatch(tmp_path):
    folder = _write_model(tmp_path / "m", card={"format": FORMAT, "rules_digest": "a" * 64})
    err = _error(folder, rules_digest="b" * 64)
    assert err.code == "E022"
    assert "hypecheck train" in str(err)
    with pytest.raises(ModelError):
        Detector(str(folder))  # the Detector checks against the loaded rules


def test_model_file_path_means_its_folder(tmp_path):
    folder = _write_model(tmp_path / "m")
    assert load_model(folder / "model.json").path == str(folder)


def test_bundled_model_is_plain_arrays():
    with np.load(DEFAULT_MODEL_DIR / "model.npz", allow_pickle=False) as npz:
        for name in npz.files:
            assert npz[name].dtype != object, name
    card = json.loads((DEFAULT_MODEL_DIR / "model.json").read_text(encoding="utf-8"))
    assert card["format"] == FORMAT
    assert 0 < card["bands"]["elevated"] < card["bands"]["high"] <= 100
    for key in ("corpus_sha256", "rules_digest", "trained_with", "metrics", "version"):
        assert key in card
