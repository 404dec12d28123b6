"""vgtui claims: the table, JSON fields and values, filters, hostile flags."""
import json
import math
from types import SimpleNamespace

import pytest

from vgtui.engine import claims as C
from vgtui.engine.claim_specs import UNCHECKED


@pytest.fixture(scope="module")
def closed_api():
    return C.build_claims(("closed", "training"))


def claims_json(run_cli, *args):
    code, out, err = run_cli("claims", "--json", *args)
    assert code == 0, err
    return json.loads(out)


def test_json_closed_only_matches_the_python_api(run_cli, closed_api):
    data = claims_json(run_cli, "--closed-only")
    assert [r["id"] for r in data["claims"]] == [c.id for c in closed_api.claims]
    assert data["counts"] == closed_api.counts()
    assert data["computed_with_torch"] is False and data["training_measured"] is False
    row = next(r for r in data["claims"] if r["id"] == "000-0.7^10")
    for key in ("id", "article", "claim", "article_value", "computed", "log10_computed",
                "verdict", "difference", "screen", "how", "engine"):
        assert key in row
    assert row["computed"] == pytest.approx(0.7 ** 10, rel=1e-12)
    assert row["log10_computed"] == pytest.approx(10 * math.log10(0.7), abs=1e-12)
    assert row["article_value"] == "0.028" and row["verdict"] == "holds"
    assert row["screen"] == "decay"
    pending = [r for r in data["claims"] if r["verdict"] == "pending"]
    assert len(pending) == 5 and all(r["computed"] is None for r in pending)
    assert len(data["not_checked"]) == len(UNCHECKED)


@pytest.mark.slow
def test_json_with_torch_claims(run_cli):
    data = claims_json(run_cli, "--article", "3", "--search", "four-unit")
    assert data["computed_with_torch"] is True
    ids = {r["id"] for r in data["claims"]}
    assert "003-four-unit-t1" in ids and all(r["article"] == "003" for r in data["claims"])
    t20 = next(r for r in data["claims"] if r["id"] == "003-four-unit-t20")
    assert t20["computed"] == pytest.approx(2.0, rel=1e-9)  # ||ones(4)||: L = sum(h_T)


def test_filters_by_article_and_verdict(run_cli):
    data = claims_json(run_cli, "--closed-only", "--article", "000,004", "--verdict",
                       "fails,approx")
    assert data["claims"]
    assert {r["article"] for r in data["claims"]} <= {"000", "004"}
    assert {r["verdict"] for r in data["claims"]} <= {"fails", "approx"}
    assert sum(data["counts"].values()) == len(data["claims"]) < data["total"]
    none = claims_json(run_cli, "--closed-only", "--search", "zzzz nothing")
    assert none["claims"] == [] and none["counts"]["holds"] == 0


def test_table_output(run_cli):
    code, out, err = run_cli("claims", "--closed-only", "--article", "004")
    assert code == 0, err
    assert "✓" in out and "✗" in out and "004-0.45^10" in out
    assert "does not hold" in out and "rules:" in out and "not checked" in out


def test_measure_fills_in_the_training_claims(run_cli, monkeypatch):
    import vgtui.cli.claims as cli

    runs = [SimpleNamespace(arch="rnn", length=t, final_loss=loss, baseline=1.0, seed=0)
            for t, loss in ((5, 0.0004), (10, 0.0003), (20, 0.005), (50, 0.4), (100, 1.0))]
    monkeypatch.setattr(cli, "measure_training", lambda progress=None: SimpleNamespace(runs=runs))
    data = claims_json(run_cli, "--closed-only", "--measure", "--search", "trained")
    rows = {r["id"]: r for r in data["claims"]}
    assert data["training_measured"] is True
    assert rows["000-train-T5"]["computed"] == pytest.approx(0.0004)
    assert rows["000-train-T5"]["verdict"] == "fails"
    assert rows["000-train-T100"]["verdict"] == "holds"


@pytest.mark.parametrize("args,flag", [
    (("--article", "9"), "--article"),
    (("--article", ""), "--article"),
    (("--article", "000,abc"), "--article"),
    (("--verdict", "maybe"), "--verdict"),
    (("--verdict", ",,"), "--verdict"),
    (("--bogus",), "--bogus"),
])
def test_bad_flags_exit_2_with_one_line(run_cli, args, flag):
    code, out, err = run_cli("claims", *args)
    assert code == 2 and out == ""
    lines = err.strip().splitlines()
    assert len(lines) == 1 and flag in lines[0] and "Traceback" not in err
