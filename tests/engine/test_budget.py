import pytest

from vgtui.engine import RNNConfig
from vgtui.engine.budget import ResourceError, flow_estimate
from vgtui.engine.flow import run_flow


def test_estimate_grows_with_t_times_n_not_n_squared_per_step():
    a = flow_estimate(1, 64, 10_000, 4, 8).bytes
    b = flow_estimate(1, 64, 20_000, 4, 8).bytes
    c = flow_estimate(1, 128, 10_000, 4, 8).bytes
    assert 1.9 < b / a < 2.1
    assert 1.9 < c / a < 2.3


def test_over_budget_run_is_refused_with_estimate_and_limit(monkeypatch):
    monkeypatch.setenv("VGTUI_MEMORY_MB", "50")
    with pytest.raises(ResourceError) as info:
        run_flow(RNNConfig(steps=100_000, hidden=256))
    text = str(info.value)
    assert "MB" in text and "limit" in text and "50 MB" in text


def test_cli_refuses_with_one_line(run_cli):
    code, _, err = run_cli("flow", "--steps", "200000", "--hidden", "2048")
    assert code == 2 and "limit" in err and err.count("\n") == 1
