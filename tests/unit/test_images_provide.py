"""Every path, port, binary and setting a task definition relies on is in the image it names.

No engine can pull a base image here, so the images are read statically (tests/support/images.py)
with the build arguments playbooks/images.yml passes, and the task definitions are rendered as
the ecs_services role renders them, both from the model of dev and prod. An image that lacks the
database's CA bundle its task names (DB_SSLMODE=verify-full) fails every connection on AWS; one
that listens elsewhere than its port mapping, or closes idle connections before the load
balancer, or has no binary for its health check, fails its first deployment.
"""

from __future__ import annotations

import functools
import os
import re
import shlex
from urllib.parse import urlsplit

import pytest
from ansible.template import trust_as_template

from tests.support.images import context_admits, read_image
from tests.support.model import ROOT, templar

ENVIRONMENTS = ["dev", "prod"]
ALB_IDLE_TIMEOUT = 60  # the ALB's idle timeout (its default; the edge role sets no other)
ARCHITECTURES = {"linux/amd64": "X86_64", "linux/arm64": "ARM64"}
# What the database, storage, queue, identity and cdn roles publish (role ecs_services reads them).
PUBLISHED = {
    "db-host": "videoforge.abc.ap-southeast-2.rds.amazonaws.com",
    "db-port": "5432",
    "bucket": "media",
    "user-pool-id": "ap-southeast-2_abc",
    "user-pool-client-id": "client",
    "queue-url": "https://sqs.ap-southeast-2.amazonaws.com/123456789012/jobs",
    "distribution-id": "E2QWRUHAPOMQZL",
    "cdn-key-pair-id": "K2JCJMDEHXQW5F",
    "cdn-signing-key-parameter": "/video-forge/dev/cdn-signing-key",
}


@functools.cache
def deployment(env: str, platform: str | None = None) -> dict:
    """The model's task definitions (as ecs_services renders them) and images (as the images role
    builds them), and what else the model says of them."""
    overrides = {}
    if platform:
        model = templar(env).template(trust_as_template("{{ videoforge_images }}"))
        overrides["videoforge_images"] = {**model, "platform": platform}
    compute = templar(
        env,
        "playbooks/compute.yml",
        roles=("ecs_services",),
        __ecs_services_published={"outputs": PUBLISHED, "account_id": "123456789012"},
        ansible_search_path=[str(ROOT / "roles" / "ecs_services")],
        **overrides,
    )
    images = templar(env, "playbooks/images.yml", roles=("images",), **overrides)

    def render(t, expression):
        return t.template(trust_as_template("{{ " + expression + " }}"))

    build = render(images, "images_images")
    args = render(images, "images_build_args | default({})")
    tasks = {t["label"]: t for t in render(compute, "__ecs_services_task_definition_specs")}
    return {
        "tasks": tasks,
        "images": {
            name: read_image(ROOT / spec["dockerfile"], ROOT / spec["context"], args.get(name, {}))
            for name, spec in build.items()
        },
        "platform": render(images, "images_platform | default('')"),
        "repositories": render(images, "images_repositories"),
        "keep_alive": render(compute, "videoforge_service_keep_alive_seconds | default(0)"),
        "ca_bundle_url": render(compute, "videoforge_database.ca_bundle_url"),
    }


def containers(env: str):
    """(service, its container definition, the image it names) for every service of the model."""
    d = deployment(env)
    for service, task in d["tasks"].items():
        (container,) = task["container_definitions"]
        repository, _, _ = container["image"].rpartition(":")
        assert repository.endswith(f"/{d['repositories'][service]}"), container["image"]
        assert service in d["images"], f"the images role builds no {service} image"
        yield service, container, d["images"][service]


def environment(container: dict) -> dict[str, str]:
    return {e["name"]: e["value"] for e in container.get("environment", [])}


def server(image) -> dict:
    """Where the image's server listens, how long it keeps idle connections, what it serves."""
    command = image.cmd
    if command and command[0] == "hypercorn":
        port = command[command.index("--bind") + 1].rsplit(":", 1)[1]
        return {"port": port, "keep_alive": command[command.index("--keep-alive") + 1], "module": command[1]}
    if command and command[0] == "nginx":
        (path,) = [p for p in image.files if p.startswith(("/etc/nginx/templates/", "/etc/nginx/conf.d/"))]
        conf = (image.context / image.files[path].source).read_text()
        if path.startswith("/etc/nginx/templates/"):  # nginx's entrypoint substitutes what is set
            conf = re.sub(r"\$\{(\w+)\}", lambda m: image.env.get(m.group(1), m.group(0)), conf)
        keep_alive = re.search(r"^\s*keepalive_timeout\s+(\d+)s;", conf, re.M)
        return {
            "port": re.search(r"^\s*listen\s+(\d+);", conf, re.M).group(1),
            "keep_alive": keep_alive.group(1) if keep_alive else None,
            "root": re.search(r"^\s*root\s+(\S+);", conf, re.M).group(1),
            "spa": "try_files $uri $uri/ /index.html;" in conf,
        }
    raise AssertionError(f"{image.dockerfile}: no server this test knows in {command}")


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_the_ca_bundle_the_task_names_is_in_the_image_and_readable(env):
    checked = 0
    for service, container, image in containers(env):
        path = environment(container).get("DB_SSLROOTCERT")
        if not path:
            continue
        assert path in image.files, f"{service}: DB_SSLROOTCERT={path} is not in {image.dockerfile.name}"
        assert image.files[path].source == deployment(env)["ca_bundle_url"], service
        assert image.readable_by_user(path), f"{service}: {path} is not readable by {image.user}"
        assert any("ssl.create_default_context(cafile=" in run and path in run for run in image.runs), (
            f"{service}: the bundle is not checked for CA certificates at build"
        )
        checked += 1
    assert checked >= 2, "gallery and streaming verify the database's certificate"


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_the_port_mapped_and_checked_is_the_one_the_image_listens_on(env):
    for service, container, image in containers(env):
        listening = server(image)
        (mapping,) = container["portMappings"]
        assert str(mapping["containerPort"]) == listening["port"], service
        assert listening["port"] in image.exposed, service
        command = container["healthCheck"]["command"]
        assert command[0] == "CMD-SHELL", service
        binary = shlex.split(command[1])[0]
        assert binary in image.binaries, f"{service}: the health check runs {binary}, not in the image"
        url = urlsplit(re.search(r"http://[^'\" ]+", command[1]).group(0))
        assert str(url.port) == listening["port"], f"{service}: the health check asks port {url.port}"
        assert_serves(service, image, listening, url.path, environment(container))


def assert_serves(service: str, image, listening: dict, path: str, env: dict[str, str]) -> None:
    """The health check's path is one the image's server answers, configured as its task
    definition configures it."""
    if "module" in listening:
        module, _, attribute = listening["module"].partition(":")
        import importlib
        from unittest import mock

        with mock.patch.dict(os.environ, env):
            app = getattr(importlib.import_module(module), attribute)
        assert path in {rule.rule for rule in app.url_map.iter_rules()}, f"{service} serves no {path}"
    else:
        assert listening["spa"] and path == "/", f"{service}: nginx answers {path} with the page"
        assert image.files[listening["root"]].source == "build:/src/dist", f"{service}: no build at the root"


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_idle_connections_outlive_the_load_balancers_and_are_the_models(env):
    for service, _, image in containers(env):
        keep_alive = server(image)["keep_alive"]
        assert keep_alive is not None, f"{service} sets no keep-alive of its own"
        assert int(keep_alive) == deployment(env)["keep_alive"], service
        keep_alive = int(keep_alive)
        assert keep_alive > ALB_IDLE_TIMEOUT, f"{service} closes idle connections before the balancer"


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_the_user_exists_and_the_app_is_where_the_server_imports_it(env):
    for service, container, image in containers(env):
        assert container.get("user", image.user) == image.user, service
        assert image.user in image.users, f"{service}: USER {image.user} is never created"
        for dest, f in image.files.items():
            if ":" not in f.source and "://" not in f.source:
                assert (image.context / f.source).exists(), f"{service}: no {f.source} in the repository"
                assert context_admits(image.dockerfile, image.context, f.source), (
                    f"{service}: the build context leaves out {f.source} ({dest})"
                )
        listening = server(image)
        if "module" not in listening:
            continue
        assert image.user != "root", f"{service} runs as root"
        module = listening["module"].partition(":")[0]
        source = image.source_of(f"{image.env['PYTHONPATH']}/{module.replace('.', '/')}.py")
        assert source is not None and source.exists(), f"{service}: {module} is not under PYTHONPATH"


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_every_variable_the_task_sets_is_one_the_app_reads(env):
    for service, container, image in containers(env):
        names = set(environment(container)) | {s["name"] for s in container.get("secrets", [])}
        sources = [image.source_of(dest) for dest in image.files if dest.startswith("/app/")]
        read = set()
        for root in filter(None, sources):
            for py in root.rglob("*.py"):
                read |= set(re.findall(r"[\"']([A-Z][A-Z0-9_]+)[\"']", py.read_text()))
        assert names - read == set(), f"{service}: the app reads none of {sorted(names - read)}"


@pytest.mark.parametrize("platform", sorted(ARCHITECTURES))
def test_the_tasks_run_on_the_platform_the_images_are_built_for(platform):
    d = deployment("dev", platform)
    assert d["platform"] == platform
    for service, task in d["tasks"].items():
        expected = {"cpuArchitecture": ARCHITECTURES[platform], "operatingSystemFamily": "LINUX"}
        assert task["runtime_platform"] == expected, service


def build_command(env: str, image: str) -> list[str]:
    """The argv the images role's build task runs for ``image`` (its own expression, rendered)."""
    from ansible.parsing.dataloader import DataLoader

    tasks = DataLoader().load_from_file(str(ROOT / "roles/images/tasks/main.yml"), trusted_as_template=True)
    block = next(t["block"] for t in tasks if "block" in t)
    (build,) = [t for t in block if t["name"] == "Build the images that are not pushed yet"]
    item = {"item": image, "uri": f"registry/{image}"}
    return templar(env, "playbooks/images.yml", roles=("images",), item=item).template(
        build["ansible.builtin.command"]["argv"]
    )


@pytest.mark.parametrize("image", ["client", "gallery", "streaming", "processor"])
def test_the_images_role_builds_for_the_models_platform_with_every_argument(image):
    argv = build_command("dev", image)
    assert argv[argv.index("--platform") + 1] == deployment("dev")["platform"]
    given = dict(argv[i + 1].split("=", 1) for i, word in enumerate(argv) if word == "--build-arg")
    dockerfile = deployment("dev")["images"][image].dockerfile
    declared = set(re.findall(r"^ARG (\w+)", dockerfile.read_text(), re.M))
    assert declared == set(given), f"{image}: declared {sorted(declared)}, given {sorted(given)}"
    assert all(given.values()), given
