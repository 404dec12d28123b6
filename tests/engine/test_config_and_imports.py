import math
import subprocess
import sys

import pytest

from vgtui.engine import ConfigError, RNNConfig, parse_field
from vgtui.engine.magnitude import format_log10, json_number


def test_import_hygiene_engine_pulls_in_no_ui_and_no_torch():
    """vgtui.engine and all its modules import neither textual nor rich; the package
    itself does not import torch (it is loaded inside the functions that need it)."""
    code = (
        "import sys, pkgutil, importlib, vgtui.engine as e\n"
        "assert 'torch' not in sys.modules, 'vgtui.engine imported torch eagerly'\n"
        "for m in pkgutil.iter_modules(e.__path__): importlib.import_module('vgtui.engine.' + m.name)\n"
        "bad = sorted(k for k in sys.modules if k.split('.')[0] in ('textual', 'rich'))\n"
        "assert not bad, bad\n"
        "print('ok')\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "ok"


@pytest.mark.parametrize("name,text", [
    ("scale", "abc"), ("scale", "nan"), ("scale", "inf"), ("scale", "-1"), ("scale", ""),
    ("hidden", "0"), ("hidden", "2.5"), ("hidden", "1e308"), ("steps", "-3"),
    ("activation", "softmax"), ("init", "xavier?"), ("device", "tpu"), ("dtype", "int8"),
    ("seed", "-1"), ("input_size", "x" * 500),
])
def test_bad_values_raise_config_error_naming_the_field(name, text):
    with pytest.raises(ConfigError) as info:
        parse_field(name, text)
    assert info.value.field == name
    assert "\n" not in str(info.value)
    assert len(str(info.value)) < 200


def test_good_values_parse():
    assert parse_field("scale", " 1.25 ") == 1.25
    assert parse_field("hidden", "64") == 64
    assert parse_field("hidden", "1e2") == 100
    assert parse_field("activation", "Leaky-ReLU") == "leaky_relu"
    assert parse_field("dtype", "f64") == "float64"


def test_config_validates_on_construction():
    with pytest.raises(ConfigError):
        RNNConfig(scale=-1)
    with pytest.raises(ConfigError):
        RNNConfig(activation="swish")
    c = RNNConfig(hidden="8")  # text is parsed too
    assert c.hidden == 8


def test_magnitude_text_is_honest_past_float_range():
    assert format_log10(-3009.5) == "3.162e-3010"
    assert format_log10(-4.0) == "1.000e-04"
    assert format_log10(-math.inf) == "0"
    assert format_log10(412.3) == "1.995e+412"
    assert json_number(-3009.5).endswith("e-3010")
    assert float(json_number(-2.0)) == pytest.approx(0.01)


def test_cuda_request_without_cuda_says_how_to_choose_cpu():
    import torch

    from vgtui.engine.device import resolve_device
    from vgtui.engine.errors import DeviceError

    if torch.cuda.is_available():
        pytest.skip("a CUDA device is present")
    with pytest.raises(DeviceError) as info:
        resolve_device("cuda")
    assert "cpu" in str(info.value)
    assert resolve_device("auto").type == "cpu"
