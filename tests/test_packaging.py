"""What `pip install .` brings: every package the code imports is declared, and the chat needs no test tools.

A package installed only as another's dependency (httpx under gradio) works until that one drops it, so each
import of rag/, embeddings/ and ui/ must name a distribution of pyproject.toml, in the dependencies or an extra.
"""

from __future__ import annotations

import ast
import importlib.metadata
import re
import sys
import tomllib

from conftest import ROOT

PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
TEST_TOOLS = {"pytest", "hypothesis", "playwright", "ruff", "mypy"}


def names(requirements: list[str]) -> set[str]:
    """Distribution names, normalised: ``["PyYAML>=6", "llama-cpp-python[server]>=0.3"]`` gives
    ``{"pyyaml", "llama-cpp-python"}``."""
    return {normalise(re.match(r"[A-Za-z0-9._-]+", r).group()) for r in requirements}


def normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def imported_packages() -> set[str]:
    """Top-level names imported by the code that are neither the standard library nor the project's own."""
    found = set()
    for folder in ("rag", "embeddings", "ui"):
        for path in (ROOT / folder).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text())):
                if isinstance(node, ast.Import):
                    found |= {alias.name.split(".")[0] for alias in node.names}
                elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                    found.add(node.module.split(".")[0])
    return found - set(sys.stdlib_module_names) - {"rag", "embeddings", "ui"}


def test_every_imported_package_is_declared():
    declared = names(PROJECT["dependencies"])
    for extra in PROJECT["optional-dependencies"].values():
        declared |= names(extra)
    providers = importlib.metadata.packages_distributions()
    undeclared = {module: providers.get(module) for module in imported_packages()
                  if not declared & {normalise(d) for d in providers.get(module, [])}}
    assert not undeclared, f"imported but not in pyproject.toml (module: installed by): {undeclared}"


def test_every_file_the_packages_read_is_installed_with_them():
    """A non-editable install copies only .py files and package-data: ui/page.js was left out once."""
    package_data = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["package-data"]
    left_out = [str(path.relative_to(ROOT)) for folder in ("rag", "embeddings", "ui")
                for path in (ROOT / folder).rglob("*") if path.is_file() and path.suffix not in (".py", ".pyc")
                and not any(path.match(pattern) for pattern in package_data.get(path.parent.name, []))]
    assert not left_out, f"not in [tool.setuptools.package-data]: {left_out}"


def test_the_chat_install_holds_no_test_tools_and_embeds_with_openvino():
    chat = names(PROJECT["dependencies"]) | names(PROJECT["optional-dependencies"]["fast"])
    assert not chat & TEST_TOOLS
    assert TEST_TOOLS <= names(PROJECT["optional-dependencies"]["test"])
    assert {"openvino", "tokenizers"} <= names(PROJECT["dependencies"])  # the fast path without an extra
