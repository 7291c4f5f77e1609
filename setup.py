"""Packages found from pyproject's `package-dir` mapping: every folder with an
`__init__.py` under a mapped folder is a package, named by its mapping, so a
new subpackage reaches wheels and sdists without a list to keep in step."""

import tomllib
from pathlib import Path

from setuptools import setup

ROOT = Path(__file__).resolve().parent
PACKAGE_DIR: dict[str, str] = tomllib.loads((ROOT / "pyproject.toml").read_text())[
    "tool"
]["setuptools"]["package-dir"]


def packages() -> list[str]:
    found = []
    for name, folder in PACKAGE_DIR.items():
        for init in sorted((ROOT / folder).rglob("__init__.py")):
            parts = init.parent.relative_to(ROOT / folder).parts
            if "__pycache__" not in parts:
                found.append(".".join((name, *parts)))
    return found


setup(packages=packages())
