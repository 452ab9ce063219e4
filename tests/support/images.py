"""What a Dockerfile's image holds, read statically (no engine can pull a base image here): the
final stage's files and their modes, environment, user, command, exposed ports, the binaries of
its base image and of what it installs, with the build arguments the images role passes.

    image = read_image(ROOT / "apps/gallery/Dockerfile", ROOT, {"SERVICE_PORT": "3000", ...})
    image.files["/etc/ssl/certs/rds.pem"].source  # the URL or context path it came from

Only the instructions our Dockerfiles use are understood; anything else fails loudly.
"""

from __future__ import annotations

import fnmatch
import json
import re
import shlex
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

# What the base images provide (their published contents: the python images are Debian with
# python, pip and dash; the nginx alpine images carry busybox, whose wget the client's check uses).
BASE_IMAGES = {
    "python:3.11-slim": {"binaries": {"sh", "python", "python3", "pip"}, "user": "root", "users": {"root"}},
    "nginx:1.27-alpine": {
        "binaries": {"sh", "nginx", "wget"},
        "user": "root",
        "users": {"root", "nginx"},
        # nginx's entrypoint renders /etc/nginx/templates/*.template into conf.d (envsubst).
        "cmd": ["nginx", "-g", "daemon off;"],
    },
}
VARIABLE = re.compile(r"\$(?:\{(\w+)\}|(\w+))")
KNOWN = {"FROM", "ARG", "ENV", "RUN", "WORKDIR", "COPY", "ADD", "USER", "EXPOSE", "CMD", "STOPSIGNAL"}


@dataclass
class File:
    source: str  # a context path, "<stage>:<path>" or a URL
    mode: int | None = None  # None: as the source has it (COPY) or 0600 (ADD of a URL)


@dataclass
class Image:
    dockerfile: Path
    context: Path
    base: str
    env: dict[str, str] = field(default_factory=dict)
    files: dict[str, File] = field(default_factory=dict)
    user: str = "root"
    users: set[str] = field(default_factory=set)
    binaries: set[str] = field(default_factory=set)
    exposed: set[str] = field(default_factory=set)
    cmd: list[str] = field(default_factory=list)
    runs: list[str] = field(default_factory=list)

    def source_of(self, path: str) -> Path | None:
        """The file of the build context that lands at ``path`` (a COPY of it or of a parent)."""
        target = PurePosixPath(path)
        for dest, f in self.files.items():
            if f.source.startswith(("http://", "https://")) or ":" in f.source:
                continue
            if target == PurePosixPath(dest) or PurePosixPath(dest) in target.parents:
                return self.context / f.source / target.relative_to(dest)
        return None

    def readable_by_user(self, path: str) -> bool:
        f = self.files.get(path)
        if f is None:
            return False
        mode = 0o600 if f.mode is None and f.source.startswith("https://") else f.mode
        return self.user == "root" or mode is None or bool(mode & 0o004)


def instructions(text: str) -> list[tuple[str, str]]:
    """(KEYWORD, arguments) per instruction: continuations joined, comments dropped."""
    out, pending = [], ""
    for line in text.splitlines():
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        if stripped.endswith("\\"):
            pending += stripped[:-1] + " "
            continue
        keyword, _, rest = (pending + stripped).partition(" ")
        out.append((keyword.upper(), rest.strip()))
        pending = ""
    return out


def expand(text: str, values: dict[str, str]) -> str:
    return VARIABLE.sub(lambda m: values.get(m.group(1) or m.group(2), ""), text)


def _flags(words: list[str]) -> tuple[dict[str, str], list[str]]:
    flags = {}
    while words and words[0].startswith("--"):
        name, _, value = words.pop(0)[2:].partition("=")
        flags[name] = value
    return flags, words


def read_image(dockerfile: Path, context: Path, build_args: dict[str, str]) -> Image:
    """The final stage of ``dockerfile`` built from ``context`` with ``build_args``."""
    image = None
    args: dict[str, str] = {}
    for keyword, rest in instructions(dockerfile.read_text()):
        assert keyword in KNOWN, f"{dockerfile}: {keyword} is not understood by this reader"
        values = {**args, **(image.env if image else {})}
        if keyword == "FROM":
            base = rest.split()[0]
            facts = BASE_IMAGES.get(base, {})
            image = Image(dockerfile, context, base, user=facts.get("user", "root"))
            image.users, image.binaries = set(facts.get("users", ())), set(facts.get("binaries", ()))
            image.cmd, args = list(facts.get("cmd", [])), {}
        elif keyword == "ARG":
            name, _, default = rest.partition("=")
            args[name] = str(build_args.get(name, default))
        elif keyword == "ENV":
            image.env.update(dict(w.split("=", 1) for w in shlex.split(expand(rest, values))))
        elif keyword in ("COPY", "ADD"):
            flags, words = _flags(shlex.split(expand(rest, values)))
            *sources, dest = words
            for source in sources:
                origin = f"{flags['from']}:{source}" if "from" in flags else source
                image.files[dest] = File(origin, int(flags["chmod"], 8) if "chmod" in flags else None)
        elif keyword == "RUN":
            _run(image, expand(rest, values))
        elif keyword == "USER":
            image.user = expand(rest, values)
        elif keyword == "EXPOSE":
            image.exposed.update(expand(rest, values).split())
        elif keyword == "CMD":
            image.cmd = _command(rest, image.env)
    return image


def _run(image: Image, command: str) -> None:
    image.runs.append(command)
    for match in re.finditer(r"useradd\b[^&;|]*?\s(\w+)\s*(?:$|&&|;)", command):
        image.users.add(match.group(1))
    install = re.search(r"pip install ([^&;|]*)", command)
    if install:
        packages = (w.strip("'\"").split("[")[0] for w in install.group(1).split() if not w.startswith("-"))
        image.binaries.update(packages)
    apt = re.search(r"apt-get install ([^&;|]*)", command)
    if apt:
        image.binaries.update(w for w in apt.group(1).split() if not w.startswith("-"))


def _command(rest: str, env: dict[str, str]) -> list[str]:
    """The process the container starts: exec form as is, shell form as the shell would run it
    with the image's environment (an ``exec`` prefix replaces the shell)."""
    if rest.startswith("["):
        return json.loads(rest)
    words = shlex.split(expand(rest, env))
    return words[1:] if words[0] == "exec" else ["sh", "-c", rest]


def context_admits(dockerfile: Path, context: Path, path: str) -> bool:
    """Whether the build context sends ``path`` (``<Dockerfile>.dockerignore`` or the context's
    ``.dockerignore``: the last pattern that matches decides, ``!`` re-includes)."""
    ignore = dockerfile.with_name(dockerfile.name + ".dockerignore")
    if not ignore.exists():
        ignore = context / ".dockerignore"
    admitted = True
    lines = ignore.read_text().splitlines() if ignore.exists() else []
    for line in (ln.strip() for ln in lines):
        if not line or line.startswith("#"):
            continue
        negated, pattern = line.startswith("!"), line.lstrip("!")
        candidates = [path, *(str(p) for p in PurePosixPath(path).parents)]
        if any(fnmatch.fnmatch(c, pattern) for c in candidates):
            admitted = negated
    return admitted
