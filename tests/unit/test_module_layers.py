"""One layering rule for every module (docs/ARCHITECTURE.md, "Modules"):

- ``library/vf_<x>.py`` holds the three doc blocks, the argument spec and ``main()``, which wires
  read -> plan -> apply; it calls no AWS and defines no other function;
- every AWS call sits in ``module_utils/vf_<service>_aws.py`` (``vf_aws.py`` is the client);
- every other file in ``module_utils/`` (the plans and comparisons) calls nothing: it neither
  imports boto3 nor builds a client nor calls one.

The files are read with ``ast``, never imported, so a new module is held to the rule as soon as
it exists."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
MODULES = sorted((ROOT / "library").glob("*.py"))
SHARED = sorted((ROOT / "module_utils").glob("*.py"))
CALLERS = [p for p in SHARED if p.stem.endswith("_aws")]
PURE = [p for p in SHARED if not p.stem.endswith("_aws")]

BOTO = ("boto3", "botocore")
# What makes a client: boto3's own factories and ours (vf_aws.connect, AwsClient).
CLIENT_MAKERS = frozenset({"client", "resource", "Session", "new_session", "connect", "AwsClient"})
# What asks AWS something: AwsClient's calls, and the run's account (an STS call).
CLIENT_CALLS = frozenset({"call", "paginate", "pages", "wait_until", "account_id"})


def aws_uses(path: Path) -> list[str]:
    """Where ``path`` touches AWS, as "line: what": an import of boto3 or botocore, a client made,
    a client's call, or a client taken from the run's clients (``aws("ec2")``)."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            found += [f"{node.lineno}: import {a.name}" for a in node.names if a.name.split(".")[0] in BOTO]
        elif isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] in BOTO:
            found.append(f"{node.lineno}: from {node.module} import")
        elif isinstance(node, ast.Call):
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
            service = node.args[0] if node.args else None
            if name in CLIENT_MAKERS:
                found.append(f"{node.lineno}: {name}() makes a client")
            elif isinstance(func, ast.Attribute) and name in CLIENT_CALLS:
                found.append(f"{node.lineno}: .{name}() calls AWS")
            elif name == "aws" and isinstance(service, ast.Constant) and isinstance(service.value, str):
                found.append(f"{node.lineno}: aws({service.value!r}) takes a client")
    return sorted(found, key=lambda use: int(use.split(":")[0]))


def definitions(path: Path) -> list[str]:
    """The functions and classes ``path`` defines at its top level."""
    tree = ast.parse(path.read_text(), filename=str(path))
    return [n.name for n in tree.body if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef)]


def test_there_are_files_of_each_layer():
    assert len(MODULES) >= 20 and len(CALLERS) >= 10 and len(PURE) >= 10


@pytest.mark.parametrize("path", MODULES, ids=lambda p: p.stem)
def test_a_module_file_calls_no_aws(path):
    assert aws_uses(path) == []


@pytest.mark.parametrize("path", MODULES, ids=lambda p: p.stem)
def test_a_module_file_defines_main_alone(path):
    """Its read and apply are in a ``_aws`` file, its plan in a pure one: main() only wires them."""
    assert definitions(path) == ["main"]


@pytest.mark.parametrize("path", PURE, ids=lambda p: p.stem)
def test_a_file_not_named_aws_calls_nothing(path):
    assert aws_uses(path) == []


@pytest.mark.parametrize("path", CALLERS, ids=lambda p: p.stem)
def test_a_file_named_aws_calls_aws(path):
    assert aws_uses(path) != []


def test_the_rule_sees_every_way_to_call_aws(tmp_path):
    source = tmp_path / "vf_x.py"
    source.write_text(
        "import boto3\n"
        "from botocore.exceptions import ClientError\n"
        "def read(aws, p):\n"
        "    ec2 = aws('ec2')\n"
        "    boto3.client('s3').list_buckets()\n"
        "    connect('sqs')\n"
        "    aws.account_id()\n"
        "    return ec2.paginate('describe_vpcs', 'Vpcs'), ec2.call('describe_subnets')\n"
    )
    assert [use.split(":")[0] for use in aws_uses(source)] == ["1", "2", "4", "5", "6", "7", "8", "8"]
