"""The on-disk cache of the Claims screen's training test: written once, read back by the
same engine version, ignored by any other, kept where VGTUI_CACHE_DIR says."""
import pickle
from types import SimpleNamespace

import pytest

from vgtui.engine import claim_values, disk_cache


@pytest.fixture
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("VGTUI_CACHE_DIR", str(tmp_path))
    return tmp_path


def test_the_folder_follows_the_variable(cache, monkeypatch):
    assert disk_cache.cache_dir() == cache
    monkeypatch.setenv("VGTUI_CACHE_DIR", "off")
    assert disk_cache.cache_dir() is None
    assert disk_cache.save("x", 1) is False and disk_cache.load("x") is None
    monkeypatch.delenv("VGTUI_CACHE_DIR")
    monkeypatch.setenv("XDG_CACHE_HOME", str(cache / "xdg"))
    if disk_cache.sys.platform.startswith("linux"):
        assert disk_cache.cache_dir() == cache / "xdg" / "vgtui"


def test_round_trip_and_another_version_is_ignored(cache):
    assert disk_cache.load("thing") is None
    assert disk_cache.save("thing", {"a": [1, 2]})
    assert disk_cache.load("thing") == {"a": [1, 2]}
    path = cache / "thing.pickle"
    entry = pickle.loads(path.read_bytes())
    entry["version"] = entry["version"].replace("engine ", "engine 0")
    path.write_bytes(pickle.dumps(entry))
    assert disk_cache.load("thing") is None  # written by a different engine
    path.write_bytes(b"not a pickle")
    assert disk_cache.load("thing") is None


def test_the_version_names_the_engine_source(cache):
    version = disk_cache.engine_version()
    assert version.startswith("vgtui ") and "engine " in version and "torch " in version


def test_training_runs_once_then_comes_from_the_cache(cache, monkeypatch):
    calls = []

    def fake(config, progress=None, cancel=None):
        calls.append(config)
        return SimpleNamespace(cancelled=False, runs=(1,))

    monkeypatch.setattr(claim_values, "run_experiment", fake)
    first = claim_values.measure_training()
    second = claim_values.measure_training()
    assert len(calls) == 1 and second == first and first is not second
    assert claim_values.cached_training() is not None
    claim_values.measure_training(use_cache=False)
    assert len(calls) == 2


def test_a_cancelled_training_is_not_kept(cache, monkeypatch):
    monkeypatch.setattr(claim_values, "run_experiment",
                        lambda *a, **k: SimpleNamespace(cancelled=True))
    claim_values.measure_training()
    assert claim_values.cached_training() is None
