"""Custom models: load(model=path) takes what `hypecheck train --out` makes, and refuses anything unsafe or foreign."""

from __future__ import annotations

import json
import pickle
import shutil
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

import hypecheck
from hypecheck import Detector, ModelError
from hypecheck.cli import cli
from hypecheck.model import FORMAT


def test_a_trained_model_loads_and_scores(tiny_model: Path, detector: Detector) -> None:
    assert sorted(p.name for p in tiny_model.iterdir()) == ["model.json", "model.npz"]
    card = json.loads((tiny_model / "model.json").read_text(encoding="utf-8"))
    det = hypecheck.load(tiny_model)
    assert det is not detector and det.model is not None
    pitch = det.score("Bis Jahresende sind weitere 300 Prozent möglich. Jetzt kaufen!")
    news = det.score("Acme steigerte den Umsatz im Quartal um 4 Prozent, teilte das Unternehmen mit.")
    assert pitch.model == {"name": "tiny", "version": card["version"], "corpus_sha256": card["corpus_sha256"]}
    assert pitch.probability > news.probability
    assert det.config.bands == (card["bands"]["elevated"], card["bands"]["high"])
    assert hypecheck.load(tiny_model, bands=(10, 20)).config.bands == (10, 20)


def test_the_cli_takes_the_model_too(tiny_model: Path, tmp_path: Path) -> None:
    article = tmp_path / "a.txt"
    article.write_text("This stock could soar 400% this year. Act now before it's too late!", encoding="utf-8")
    result = CliRunner().invoke(cli, ["score", "--format", "json", "--model", str(tiny_model), str(article)])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["model"]["name"] == "tiny"


@pytest.fixture
def model_copy(tiny_model: Path, tmp_path: Path) -> Path:
    target = tmp_path / "model"
    shutil.copytree(tiny_model, target)
    return target


class _Exploit:
    """Unpickling this creates a marker file: proof that code ran."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple:
        return (open, (str(self.marker), "w"))


def _load_error(path: Path) -> str:
    with pytest.raises(ModelError) as info:
        hypecheck.load(path)
    return str(info.value)


def test_an_object_array_in_the_npz_is_refused_without_running_it(model_copy: Path, tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    with np.load(model_copy / "model.npz", allow_pickle=False) as npz:
        arrays = {k: npz[k] for k in npz.files}
    arrays["sent.vocab"] = np.array([_Exploit(marker), "term"], dtype=object)
    np.savez(model_copy / "model.npz", **arrays)
    msg = _load_error(model_copy)
    assert "model.npz" in msg and "E020" in msg and "pickle" in msg.lower()
    assert not marker.exists()


def test_a_pickle_named_model_npz_is_refused_without_running_it(model_copy: Path, tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    (model_copy / "model.npz").write_bytes(pickle.dumps({"sent.vocab": _Exploit(marker)}))
    msg = _load_error(model_copy)
    assert "model.npz" in msg and "not a hypecheck model" in msg
    assert not marker.exists()


@pytest.mark.parametrize("fmt", ["skops", "hypecheck.model/2", None])
def test_a_model_json_of_another_format_or_version_is_refused_clearly(model_copy: Path, fmt: str | None) -> None:
    card = json.loads((model_copy / "model.json").read_text(encoding="utf-8"))
    if fmt is None:
        del card["format"]
    else:
        card["format"] = fmt
    (model_copy / "model.json").write_text(json.dumps(card), encoding="utf-8")
    msg = _load_error(model_copy)
    assert f"model format {fmt} is not supported" in msg and f"expects {FORMAT}" in msg
    assert "hypecheck train --out" in msg and msg.endswith("[E021]")


def test_a_model_trained_with_other_rules_is_refused_with_the_fix(model_copy: Path) -> None:
    card = json.loads((model_copy / "model.json").read_text(encoding="utf-8"))
    card["rules_digest"] = "0" * 64
    (model_copy / "model.json").write_text(json.dumps(card), encoding="utf-8")
    msg = _load_error(model_copy)
    assert "rules digest 000000000000" in msg and "retrain with 'hypecheck train'" in msg and "E022" in msg


@pytest.mark.parametrize("damage", ["missing_card", "missing_arrays", "not_json", "not_zip", "missing_key"])
def test_broken_model_directories_raise_model_error(model_copy: Path, damage: str) -> None:
    if damage == "missing_card":
        (model_copy / "model.json").unlink()
    elif damage == "missing_arrays":
        (model_copy / "model.npz").unlink()
    elif damage == "not_json":
        (model_copy / "model.json").write_text("{not json", encoding="utf-8")
    elif damage == "not_zip":
        (model_copy / "model.npz").write_bytes(b"PK\x03\x04 broken")
    else:
        with np.load(model_copy / "model.npz", allow_pickle=False) as npz:
            arrays = {k: npz[k] for k in npz.files if k != "doc.calibration"}
        np.savez(model_copy / "model.npz", **arrays)
    msg = _load_error(model_copy)
    assert str(model_copy) in msg and "E02" in msg


def test_a_missing_directory(tmp_path: Path) -> None:
    assert "model.json and model.npz are required" in _load_error(tmp_path / "nowhere")


def test_a_model_json_that_is_not_an_object(model_copy: Path) -> None:
    (model_copy / "model.json").write_text("[1, 2, 3]", encoding="utf-8")
    _load_error(model_copy)
