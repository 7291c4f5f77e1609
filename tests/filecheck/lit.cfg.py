"""lit configuration: runs lpu-opt / lpu-run with FileCheck over tests/filecheck."""

import os
import sys

import lit.formats

config.name = "lpuir"  # noqa: F821
config.test_format = lit.formats.ShTest(execute_external=False)  # noqa: F821
config.suffixes = [".mlir", ".lpu"]  # noqa: F821
config.test_source_root = os.path.dirname(__file__)  # noqa: F821
config.excludes = ["lit.cfg.py", "inputs", "Output"]  # noqa: F821
# the tools of the environment lit runs in (the project's venv) come first
bin_dir = os.path.dirname(sys.executable)
config.environment["PATH"] = os.pathsep.join([bin_dir, os.environ.get("PATH", "")])  # noqa: F821
config.environment["PYTHON"] = sys.executable  # noqa: F821
config.substitutions.append(("%python", sys.executable))  # noqa: F821
config.substitutions.append(
    (
        "%examples",
        os.path.join(
            os.path.dirname(os.path.dirname(config.test_source_root)), "examples"
        ),
    )
)  # noqa: F821
