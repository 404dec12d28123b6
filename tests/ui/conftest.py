"""The ``slow`` mark: long runs (10,000 fuzzed keys) that only ``-m slow`` selects."""
import pytest


def pytest_configure(config):
    config.addinivalue_line("markers", "slow: a long run, selected only with -m slow")


def pytest_collection_modifyitems(config, items):
    if "slow" in (config.getoption("-m") or ""):
        return
    skip = pytest.mark.skip(reason="a long run: select it with -m slow")
    for item in items:
        if "slow" in item.keywords:
            item.add_marker(skip)
