"""Puts the generated Python module of crm-ffi on the path.

scripts/test-ffi generates `crm_ffi.py` with uniffi-bindgen, copies
`libcrm_ffi.so` beside it and points CRM_FFI_PYTHON_DIR at that directory.
"""

import os
import sys
from pathlib import Path

import pytest

_dir = os.environ.get("CRM_FFI_PYTHON_DIR")
if not _dir or not (Path(_dir) / "crm_ffi.py").is_file():
    raise pytest.UsageError(
        "set CRM_FFI_PYTHON_DIR to a directory holding the generated crm_ffi.py "
        "and libcrm_ffi.so (scripts/test-ffi does this)"
    )
sys.path.insert(0, _dir)
