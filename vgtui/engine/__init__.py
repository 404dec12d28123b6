"""The engine: every number vgtui shows is computed here.

Importing this package is cheap: it pulls in neither torch (loaded inside the
functions that need it) nor any UI library.
"""
from .config import ACTIVATIONS, DEVICES, DTYPES, FIELD_SPECS, INITS, RNNConfig, parse_field
from .errors import ConfigError, DeviceError, ModelFileError, VgtuiError

__all__ = [
    "ACTIVATIONS", "DEVICES", "DTYPES", "FIELD_SPECS", "INITS", "RNNConfig", "parse_field",
    "ConfigError", "DeviceError", "ModelFileError", "VgtuiError",
]
