"""hypecheck.score_frame: the pandas helper."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

import hypecheck
from hypecheck import Detector, InputError

from .conftest import HOUSE_RULE_ID, HOUSE_TEXT_DE


@pytest.fixture(scope="module")
def frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "headline": ["Kursrakete!", None, "Quarterly results", "Ad"],
            "body": [
                "Bis Jahresende sind weitere 150 Prozent möglich. Jetzt kaufen!",
                "Die Deutsche Bank steigerte den Gewinn um 12 Prozent, teilte das Institut mit.",
                "Shares of Acme rose 3% after sales beat estimates, Reuters reported.",
                "Paid advertisement. This stock could soar 500% - act now before it's too late!",
            ],
            "feed": ["a", "b", "c", "d"],
        },
        index=pd.Index([40, 7, 13, 2], name="item"),
    )


def test_adds_four_columns_and_keeps_index_and_input(frame: pd.DataFrame, detector: Detector) -> None:
    before = frame.copy()
    out = hypecheck.score_frame(frame, text="body", title="headline")
    pd.testing.assert_frame_equal(frame, before)  # the input is not modified
    assert list(out.columns) == ["headline", "body", "feed", "risk", "band", "top_category", "findings"]
    assert out.index.equals(frame.index)
    pd.testing.assert_frame_equal(out[frame.columns], frame)
    assert out["risk"].dtype == "int64"
    assert isinstance(out["band"].dtype, pd.CategoricalDtype) and out["band"].cat.ordered
    assert list(out["band"].cat.categories) == ["low", "elevated", "high"]
    for idx, row in out.iterrows():
        title = frame.loc[idx, "headline"]
        a = detector.score(frame.loc[idx, "body"], title=None if pd.isna(title) else title, source=f"row {idx!r}")
        assert row["risk"] == a.risk and row["band"] == a.band
        assert row["findings"] == [f.to_dict() for f in a.findings]
        assert all(isinstance(f, dict) for f in row["findings"])
        assert row["top_category"] == (max(a.categories, key=a.categories.__getitem__) if a.categories else None)
    assert out.loc[40, "band"] == "high" and out.loc[13, "band"] == "low"
    assert out.loc[13, "findings"] == [] and out.loc[13, "top_category"] is None


def test_bands_sort_and_filter_as_ordered_categories(frame: pd.DataFrame) -> None:
    out = hypecheck.score_frame(frame, text="body")
    assert list(out.sort_values("band", ascending=False)["band"])[0] == "high"
    assert set(out[out["band"] >= "elevated"].index) >= {40}


def test_threads_give_the_same_frame(frame: pd.DataFrame) -> None:
    big = pd.concat([frame] * 5, ignore_index=True)
    pd.testing.assert_frame_equal(hypecheck.score_frame(big, text="body", n_jobs=4),
                                  hypecheck.score_frame(big, text="body"))


def test_detector_keyword_arguments_pass_through(frame: pd.DataFrame, house_rules: Path) -> None:
    out = hypecheck.score_frame(frame, text="body", disabled=["return_promise", "urgency"], bands=(1, 2))
    cats = {f["category"] for fs in out["findings"] for f in fs}
    assert cats and not cats & {"return_promise", "urgency"}
    assert all(b == ("high" if r >= 2 else "elevated" if r >= 1 else "low") for r, b in zip(out["risk"], out["band"]))

    house = hypecheck.score_frame(pd.DataFrame({"text": [HOUSE_TEXT_DE]}), extra_rules=[house_rules])
    assert any(f"rule:{HOUSE_RULE_ID}" in f["origin"] for f in house.loc[0, "findings"])


def test_an_explicit_detector_and_a_prefix(frame: pd.DataFrame, detector: Detector) -> None:
    df = frame.rename(columns={"body": "text"}).assign(risk="kept")
    out = hypecheck.score_frame(df, detector=detector, prefix="hype_")
    assert out["risk"].tolist() == ["kept"] * 4
    assert {"hype_risk", "hype_band", "hype_top_category", "hype_findings"} <= set(out.columns)


def test_rows_without_text_raise_naming_the_row_or_are_coerced(frame: pd.DataFrame) -> None:
    df = frame.copy()
    df.loc[7, "body"] = None
    df.loc[13, "body"] = "   "
    with pytest.raises(InputError, match=r"row 7: empty input"):
        hypecheck.score_frame(df, text="body")
    out = hypecheck.score_frame(df, text="body", errors="coerce", n_jobs=2)
    assert str(out["risk"].dtype) == "Int64"
    assert out["risk"].isna().tolist() == [False, True, True, False]
    assert out["band"].isna().tolist() == [False, True, True, False]
    assert out.loc[7, "findings"] == [] and out.loc[7, "top_category"] is None
    assert out.loc[40, "risk"] == hypecheck.score_frame(frame, text="body").loc[40, "risk"]


def test_usage_errors(frame: pd.DataFrame) -> None:
    with pytest.raises(KeyError, match="column 'text' not in the frame"):
        hypecheck.score_frame(frame)
    with pytest.raises(KeyError, match="'title'"):
        hypecheck.score_frame(frame, text="body", title="title")
    with pytest.raises(TypeError, match="DataFrame"):
        hypecheck.score_frame(frame["body"], text="body")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="errors must be"):
        hypecheck.score_frame(frame, text="body", errors="ignore")  # type: ignore[arg-type]


def test_an_empty_frame() -> None:
    out = hypecheck.score_frame(pd.DataFrame({"text": pd.Series([], dtype=object)}))
    assert out.empty and list(out.columns) == ["text", "risk", "band", "top_category", "findings"]
