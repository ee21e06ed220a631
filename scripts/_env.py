"""The arithmetic `make` uses, for scripts run by hand (`python scripts/sweep_....py`).

The Makefile exports OPENBLAS_CORETYPE and NPY_DISABLE_CPU_FEATURES so that numpy and
OpenBLAS take the same (AVX2) code paths on every x86-64 CPU, and a long sweep gives the
same numbers here as in CI. numpy reads them once, when it is first imported: each sweep
script imports this module before numpy. tests/unit/test_packaging.py checks that these
values are the Makefile's.
"""

import os
import sys

ARITHMETIC = {"OPENBLAS_CORETYPE": "Haswell",
              "NPY_DISABLE_CPU_FEATURES": "X86_V4 AVX512_ICL AVX512_SPR"}

if "numpy" not in sys.modules:  # too late otherwise (e.g. a test importing a sweep)
    for name, value in ARITHMETIC.items():
        os.environ.setdefault(name, value)
