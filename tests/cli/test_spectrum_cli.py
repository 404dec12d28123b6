"""vgtui jacobian / spectrum / bound / lyapunov / clip lookups."""
import json
import math
import subprocess
import sys

import numpy as np
import pytest


def test_jacobian_json_keys_and_closed_form(run_cli):
    code, out, err = run_cli("jacobian", "--activation", "identity", "--init", "orthogonal",
                             "--scale", "0.5", "--hidden", "6", "--steps", "30", "--json")
    assert code == 0, err
    data = json.loads(out)
    for key in ("product_norm", "log10_product_norm", "effective_dims", "alignment",
                "log10_singular_values", "spectral_radius", "lyapunov", "effective_dim_rule"):
        assert key in data
    assert len(data["product_norm"]) == len(data["effective_dims"]) == 30
    expected = [(30 - t) * math.log10(0.5) for t in range(1, 31)]
    np.testing.assert_allclose(data["log10_product_norm"], expected, atol=1e-10)
    assert data["product_norm"][0] == pytest.approx(0.5 ** 29)
    assert data["effective_dims"] == [6] * 30
    assert data["lyapunov"] == pytest.approx(math.log(0.5))
    assert len(data["log10_singular_values"][0]) == 6


def test_jacobian_table_and_csv(run_cli):
    code, out, _ = run_cli("jacobian", "--steps", "10", "--hidden", "5")
    assert code == 0 and "eff. dims" in out and "Lyapunov" in out
    code, out, _ = run_cli("jacobian", "--steps", "10", "--hidden", "5", "--csv")
    lines = out.strip().splitlines()
    assert lines[0].startswith("t,product_norm,log10_product_norm") and len(lines) == 11


def test_jacobian_matrix_example(run_cli):
    code, out, err = run_cli("jacobian", "--matrix", "0.5,0.1;0.2,0.4", "--derivative", "0.8",
                             "--steps", "20", "--json")
    assert code == 0, err
    data = json.loads(out)
    j = 0.8 * np.reshape([0.5, 0.1, 0.2, 0.4], (2, 2))
    assert data["spectral_radius"] == pytest.approx(max(abs(np.linalg.eigvals(j))))
    assert data["spectral_radius_of_matrix"] == pytest.approx(0.6)
    assert len(data["product_norm"]) == 20
    for n in (1, 5, 10, 20):
        assert data["product_norm"][n - 1] == pytest.approx(
            np.linalg.norm(np.linalg.matrix_power(j, n), 2))
    article = {row["n"]: row for row in data["article"]}
    assert article[None]["article"] == 0.46
    assert article[20]["computed"] == pytest.approx(np.linalg.norm(np.linalg.matrix_power(j, 20)))
    code, out, _ = run_cli("jacobian", "--matrix", "0.5,0.1;0.2,0.4", "--derivative", "0.8")
    assert code == 0 and "article says 0.46" in out


def test_matrix_lookup_never_imports_torch():
    code = ("import sys\nfrom vgtui.cli import main\n"
            "main(['jacobian', '--matrix', '0.5,0.1;0.2,0.4', '--derivative', '0.8', '--json'])\n"
            "assert 'torch' not in sys.modules, 'torch imported'\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["steps"] == 20


def test_spectrum_json(run_cli):
    code, out, err = run_cli("spectrum", "--hidden", "16", "--scale", "1.2", "--json")
    assert code == 0, err
    data = json.loads(out)
    assert set(data["inits"]) == {"gaussian", "orthogonal", "identity", "xavier",
                                  "torch-default", "shear"}
    for entry in data["inits"].values():
        eig = np.array([complex(re, im) for re, im in entry["eigenvalues"]])
        assert len(eig) == 16
        assert entry["spectral_radius"] == pytest.approx(max(abs(eig)))
        assert entry["spectral_norm"] >= entry["spectral_radius"] - 1e-9
    assert data["inits"]["orthogonal"]["spectral_norm"] == pytest.approx(1.2)
    code, out, _ = run_cli("spectrum", "--hidden", "8", "--init", "shear", "--json")
    assert list(json.loads(out)["inits"]) == ["shear"]
    code, out, _ = run_cli("spectrum", "--hidden", "8")
    assert code == 0 and "orthogonal" in out and "norm/radius" in out


def test_bound_json_and_sweep(run_cli):
    code, out, err = run_cli("bound", "--activation", "sigmoid", "--steps", "12", "--hidden", "8",
                             "--scales", "1,4,8", "--sequences", "3", "--json")
    assert code == 0, err
    data = json.loads(out)
    for key in ("measured", "bound", "log10_measured", "log10_bound", "log10_typical",
                "sigma_max", "bound_factor"):
        assert key in data
    assert len(data["measured"]) == 12
    assert all(m <= b + 1e-9 for m, b in zip(data["log10_measured"], data["log10_bound"]))
    assert data["sigma_max"] == 0.25 and data["norm_needed_for_survival"] == 4
    assert data["log10_bound"][0] == pytest.approx(11 * math.log10(0.25 * data["spectral_norm"]))
    rows = data["sweep"]["rows"]
    assert [r["scale"] for r in rows] == [1, 4, 8]
    assert all(r["exploded"] + r["vanished"] + r["survived"] == 3 for r in rows)
    code, out, _ = run_cli("bound", "--steps", "8", "--hidden", "4", "--scales", "0.5,2",
                           "--sequences", "2")
    assert code == 0 and "catch-22" in out and "survival needs" in out


def test_lyapunov_json(run_cli):
    code, out, err = run_cli("lyapunov", "--activation", "identity", "--init", "orthogonal",
                             "--scales", "0.5,1,2", "--hidden", "6", "--steps", "50", "--json")
    assert code == 0, err
    data = json.loads(out)
    assert [r["scale"] for r in data["rows"]] == [0.5, 1.0, 2.0]
    for r in data["rows"]:
        assert r["exponent"] == pytest.approx(math.log(r["scale"]), abs=1e-10)
    assert data["edge_of_chaos"] == [pytest.approx(1.0)]
    code, out, _ = run_cli("lyapunov", "--scales", "0.5:3:4", "--steps", "60")
    assert code == 0 and "edge of chaos" in out or "no sign change" in out


def test_clip_json(run_cli):
    code, out, err = run_cli("clip", "--init", "orthogonal", "--scale", "3", "--steps", "30",
                             "--tau", "1", "--json")
    assert code == 0, err
    data = json.loads(out)
    assert data["clipped"] is True
    assert data["log10_grad_norm_after"] == pytest.approx(0.0)
    assert data["log10_first_to_last_after"] == pytest.approx(data["log10_first_to_last"])
    code, out, _ = run_cli("clip", "--activation", "sigmoid", "--steps", "40", "--tau", "1e6")
    assert code == 0 and "left unchanged" in out


@pytest.mark.parametrize("args,flag", [
    (["jacobian", "--matrix", "1,2;3"], "--matrix"),
    (["jacobian", "--matrix", "1,x;0,1"], "--matrix"),
    (["jacobian", "--matrix", "1,0;0,1", "--derivative", "-1"], "--derivative"),
    (["jacobian", "--matrix", "1,0;0,1", "--derivative", "nan"], "--derivative"),
    (["jacobian", "--derivative", "0.8"], "--derivative"),
    (["jacobian", "--matrix", "1,0;0,1", "--scale", "2"], "--scale"),
    (["jacobian", "--matrix", "1,0;0,1", "--steps", "20000"], "--steps"),
    (["jacobian", "--steps", "5000"], "--steps"),
    (["jacobian", "--hidden", "300"], "--hidden"),
    (["jacobian", "--singular-values", "-1"], "--singular-values"),
    (["spectrum", "--hidden", "2000"], "--hidden"),
    (["spectrum", "--power-steps", "0"], "--power-steps"),
    (["spectrum", "--shear", "-1"], "--shear"),
    (["spectrum", "--init", "nope"], "--init"),
    (["bound", "--scales", "a,b"], "--scales"),
    (["bound", "--scales", "1", "--sequences", "0"], "--sequences"),
    (["bound", "--steps", "2000"], "--steps"),
    (["lyapunov", "--scales", ""], "--scales"),
    (["lyapunov", "--scales", "1:2"], "--scales"),
    (["lyapunov", "--scale", "1"], "--scale"),
    (["clip", "--tau", "0"], "--tau"),
    (["clip", "--tau", "abc"], "--tau"),
])
def test_bad_flags_give_one_line_and_exit_2(run_cli, args, flag):
    code, out, err = run_cli(*args)
    assert code == 2, (args, err)
    assert err.count("\n") == 1, err
    assert flag in err, err
    assert "Traceback" not in err
