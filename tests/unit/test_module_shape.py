"""The modules keep one readable shape (docs/ARCHITECTURE.md, "Modules"): a few-line main(),
functions that read in one sitting, and a docstring on everything a module file defines. A
function that grows past the limits fails here, before a reviewer has to find it; so does a
module whose documentation (``ansible-doc -M library NAME``) is not what it takes."""

from __future__ import annotations

import ast
import importlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
MODULES = sorted((ROOT / "library").glob("vf_*.py"))
SHARED = sorted((ROOT / "module_utils").glob("*.py"))
APPS = sorted((ROOT / "apps").rglob("*.py"))
MAIN_LIMIT = 40
FUNCTION_LIMIT = 80


def functions(path: Path) -> list[ast.FunctionDef | ast.AsyncFunctionDef]:
    tree = ast.parse(path.read_text(), filename=str(path))
    return [n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)]


def length(node: ast.AST) -> int:
    """Lines from the ``def`` (decorators excluded) to the function's last line."""
    return node.end_lineno - node.lineno + 1


def test_there_are_modules_to_check():
    assert len(MODULES) >= 20 and SHARED and APPS


@pytest.mark.parametrize("path", MODULES, ids=lambda p: p.stem)
def test_a_module_main_is_a_few_lines(path):
    mains = [f for f in functions(path) if f.name == "main"]
    assert len(mains) == 1, f"{path.name} has no main()"
    assert length(mains[0]) <= MAIN_LIMIT, f"{path.name}: main() is {length(mains[0])} lines"


@pytest.mark.parametrize("folder", ["library", "module_utils", "apps"])
def test_no_function_is_over_eighty_lines(folder):
    paths = {"library": MODULES, "module_utils": SHARED, "apps": APPS}[folder]
    long = [
        f"{p.relative_to(ROOT)}:{f.lineno} {f.name} ({length(f)} lines)"
        for p in paths
        for f in functions(p)
        if length(f) > FUNCTION_LIMIT
    ]
    assert long == []


@pytest.mark.parametrize("path", MODULES, ids=lambda p: p.stem)
def test_a_module_documents_itself_and_every_function_it_defines(path):
    tree = ast.parse(path.read_text())
    assigned = [t for n in tree.body if isinstance(n, ast.Assign) for t in n.targets]
    names = {t.id for t in assigned if isinstance(t, ast.Name)}
    assert {"DOCUMENTATION", "EXAMPLES", "RETURN"} <= names
    undocumented = [f.name for f in functions(path) if not ast.get_docstring(f)]
    assert undocumented == []


@pytest.fixture(scope="module")
def docs() -> dict:
    """``ansible-doc -M library --json`` of every module, in one run."""
    env = {**os.environ, "ANSIBLE_CONFIG": str(ROOT / "ansible.cfg"), "ANSIBLE_HOME": str(ROOT / ".ansible")}
    out = subprocess.run(
        [
            str(Path(sys.executable).parent / "ansible-doc"),
            "-M",
            "library",
            "--json",
            *(p.stem for p in MODULES),
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(out.stdout)


class Stop(Exception):
    """Raised in place of AnsibleModule: main() has built its argument spec."""


@pytest.mark.parametrize("path", MODULES, ids=lambda p: p.stem)
def test_ansible_doc_documents_exactly_the_options_the_module_takes(docs, path, monkeypatch):
    taken = {}

    def capture(self, argument_spec, **kwargs):
        taken.update(argument_spec)
        raise Stop

    module = importlib.import_module(path.stem)
    monkeypatch.setattr(module.AnsibleModule, "__init__", capture)
    with pytest.raises(Stop):
        module.main()
    doc = docs[path.stem]
    assert doc["doc"]["short_description"] and doc["examples"].strip() and doc["return"]
    assert set(doc["doc"]["options"]) == set(taken)


@pytest.mark.parametrize("path", MODULES, ids=lambda p: p.stem)
def test_every_module_runs_in_the_warm_fork(path):
    """Each module has an action plugin of its name that is the warm-fork runner (a link to it):
    a module without one still works, but pays a fresh interpreter and boto3 on every run."""
    link = ROOT / "plugins" / "action" / path.name
    assert link.is_symlink(), f"plugins/action/{path.name}: ln -s _vf_warm_fork.py {link}"
    assert os.readlink(link) == "_vf_warm_fork.py"
