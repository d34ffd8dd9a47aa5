"""The import-linter contracts (pyproject.toml) name accounts' modules one by one, base or
section: a new module of accounts must be put in one of the two, or nothing checks it."""

import tomllib
from pathlib import Path

from django.conf import settings


def test_every_module_of_accounts_sits_in_a_layer() -> None:
    root = Path(settings.BASE_DIR)
    config = tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8"))
    layers = next(
        contract
        for contract in config["tool"]["importlinter"]["contracts"]
        if contract["type"] == "layers"
    )["layers"]
    named = {
        module.strip()
        for layer in layers
        for module in layer.replace("|", ":").split(":")
        if module.strip().startswith("accounts.")
    }
    modules = {
        f"accounts.{path.stem}"
        for path in (root / "accounts").glob("*.py")
        if path.stem != "__init__"
    } | {f"accounts.{path.name}" for path in (root / "accounts").iterdir() if path.is_dir()}
    modules -= {"accounts.migrations", "accounts.__pycache__"}
    assert modules - named == set(), "put these modules of accounts in a layer of pyproject.toml"
