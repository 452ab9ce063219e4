"""Render each role's arguments in its README.md from meta/argument_specs.yml.

    python tools/role_readme.py [--check] [ROLE ...]

The arguments table of roles/<role>/README.md sits between the markers below and is rendered
from the role's argument specs, so the specs stay the one source of a role's interface.
``--check`` rewrites nothing and exits 1 when a README's table is not what the specs say
(tests/unit/test_role_readmes.py runs it).
"""

from __future__ import annotations

import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
BEGIN = "<!-- arguments: rendered from meta/argument_specs.yml by tools/role_readme.py -->"
END = "<!-- /arguments -->"


def text(description) -> str:
    """One line of Markdown from a spec description (a string or a list of sentences)."""
    parts = description if isinstance(description, list) else [description or ""]
    line = " ".join(" ".join(str(p).split()) for p in parts)
    for mark, (left, right) in {"C(": ("`", "`"), "I(": ("`", "`"), "M(": ("`", "`")}.items():
        while mark in line:
            start = line.index(mark)
            end = line.index(")", start)
            line = line[:start] + left + line[start + 2 : end] + right + line[end + 1 :]
    return line.replace("|", "\\|")


def default(spec: dict) -> str:
    if spec.get("required"):
        return "**required**"
    if "default" not in spec:
        return ""
    value = spec["default"]
    if isinstance(value, (dict, list)):
        shown = yaml.safe_dump(value, default_flow_style=True, width=1000).strip()
    elif isinstance(value, bool):
        shown = str(value).lower()
    else:
        shown = str(value)
    return f"`{shown}`".replace("|", "\\|") if shown != "" else '`""`'


def rows(options: dict, prefix: str = "") -> list[str]:
    out = []
    for name, spec in options.items():
        kind = spec.get("type", "str") + (f" of {spec['elements']}" if spec.get("elements") else "")
        out.append(f"| `{prefix}{name}` | {kind} | {default(spec)} | {text(spec.get('description'))} |")
        out += rows(spec.get("options") or {}, f"{prefix}{name}.")
    return out


def render(role_dir: Path) -> str:
    specs = yaml.safe_load((role_dir / "meta" / "argument_specs.yml").read_text())["argument_specs"]
    lines = [BEGIN]
    for entry, spec in specs.items():
        title = "" if entry == "main" else f"\nEntry `{entry}` ({text(spec.get('short_description'))}):\n"
        lines += [title, "| argument | type | default | description |", "|---|---|---|---|"]
        lines += rows(spec.get("options") or {})
    lines.append(END)
    return "\n".join(line for line in lines if line != "")


def updated(readme: str, table: str) -> str:
    if BEGIN not in readme or END not in readme:
        raise ValueError("no arguments markers")
    head, rest = readme.split(BEGIN, 1)
    return head + table + rest.split(END, 1)[1]


def main(argv: list[str]) -> int:
    check = "--check" in argv
    names = [a for a in argv if not a.startswith("--")]
    stale = []
    for role_dir in sorted(p.parent.parent for p in ROOT.glob("roles/*/meta/argument_specs.yml")):
        if names and role_dir.name not in names:
            continue
        readme = role_dir / "README.md"
        current = readme.read_text() if readme.exists() else ""
        try:
            wanted = updated(current, render(role_dir))
        except ValueError:
            stale.append(f"{role_dir.name}: README.md has no arguments markers")
            continue
        if wanted != current:
            stale.append(f"{role_dir.name}: the arguments table differs from meta/argument_specs.yml")
            if not check:
                readme.write_text(wanted)
    for line in stale:
        print(line)
    return 1 if check and stale else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
