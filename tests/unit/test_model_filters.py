"""The filters that turn the model into the family modules' lists (plugins/filter/vf_model.py),
on the model's own shapes: what the iam, ecs_services and edge roles' vars rely on."""

from __future__ import annotations

import importlib.util

import pytest
from ansible.errors import AnsibleFilterError

from tests.support.ansible_runner import ROOT
from tests.support.model import catalog

_spec = importlib.util.spec_from_file_location("vf_model", ROOT / "plugins" / "filter" / "vf_model.py")
vf_model = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(vf_model)


def test_records_are_the_columns_item_by_item_with_the_same_fields_in_each():
    rows = vf_model.records({"label": ["gallery", "streaming"], "cpu": ["512", "256"]}, {"tags": {"A": "1"}})
    assert rows == [
        {"label": "gallery", "cpu": "512", "tags": {"A": "1"}},
        {"label": "streaming", "cpu": "256", "tags": {"A": "1"}},
    ]
    assert vf_model.records({}) == []


def test_columns_of_different_lengths_are_refused_not_cut():
    with pytest.raises(AnsibleFilterError, match="different lengths"):
        vf_model.records({"label": ["gallery", "streaming"], "cpu": ["512"]})


def test_a_service_role_gets_its_own_resources_and_only_the_statements_meant_for_it():
    login = {
        "Sid": "RegistryLogin",
        "Effect": "Allow",
        "Action": ["ecr:GetAuthorizationToken"],
        "Resource": ["*"],
    }
    pull = {"Sid": "PullImage", "Effect": "Allow", "Action": ["ecr:BatchGetImage"],
            "Resource": {"client": ["arn:repo/client"], "gallery": ["arn:repo/gallery"]}}  # fmt: skip
    secret = {"Sid": "ReadSecrets", "Effect": "Allow", "Action": ["ssm:GetParameters"],
              "Resource": {"gallery": ["arn:password"]}}  # fmt: skip
    roles = vf_model.service_roles(
        {"client": "vf-dev-client-execution", "gallery": "vf-dev-gallery-execution"},
        policy="execution",
        statements=[login, pull, secret],
        description="ECS pulls images for {service}",
        tags={"Project": "VideoForge"},
    )
    client, gallery = roles
    assert (client["name"], client["description"]) == (
        "vf-dev-client-execution",
        "ECS pulls images for client",
    )
    assert client["tags"] == {"Project": "VideoForge"}
    client_statements = client["inline_policies"]["execution"]["Statement"]
    assert [s["Sid"] for s in client_statements] == ["RegistryLogin", "PullImage"]
    assert client_statements[1]["Resource"] == ["arn:repo/client"]
    gallery_statements = gallery["inline_policies"]["execution"]["Statement"]
    assert [s["Resource"] for s in gallery_statements] == [["*"], ["arn:repo/gallery"], ["arn:password"]]


def test_a_service_roles_own_statements_come_first():
    own = {"gallery": [{"Sid": "UploadSources"}], "client": []}
    params = {"Sid": "OwnParameters", "Resource": {"gallery": ["g"], "client": ["c"]}}
    roles = vf_model.service_roles(
        {"client": "c-task", "gallery": "g-task"}, "access", [params], "{service}", service_statements=own
    )
    assert [[s["Sid"] for s in r["inline_policies"]["access"]["Statement"]] for r in roles] == [
        ["OwnParameters"],
        ["UploadSources", "OwnParameters"],
    ]


def test_the_catalogs_scaling_becomes_one_policy_per_target_it_gives():
    services = catalog()["videoforge_services"]
    labels = {name: f"app/alb/1/targetgroup/{name}/2" for name in services}
    policies = vf_model.target_tracking(services, labels, scale_in_cooldown=300, scale_out_cooldown=60)
    assert list(policies) == list(services)
    assert [p["name"] for p in policies["client"]] == ["cpu", "memory"]
    requests = policies["gallery"][-1]
    assert requests == {
        "name": "requests",
        "metric": "alb_requests",
        "target": services["gallery"]["scaling"]["requests_per_target"],
        "resource_label": "app/alb/1/targetgroup/gallery/2",
        "scale_in_cooldown": 300,
        "scale_out_cooldown": 60,
    }
    assert vf_model.target_tracking({"client": {"port": 80}}) == {"client": []}


def test_local_instances_are_named_by_their_port_as_supervisord_names_them():
    instances = vf_model.local_instances(
        {"gallery": "13000", "streaming": 14000}, ["gallery", "streaming"], {"gallery": 2}, "127.0.0.1", "/s"
    )
    assert [i["program"] for i in instances] == [
        "gallery:gallery-13000",
        "gallery:gallery-13001",
        "streaming:streaming-14000",
    ]
    assert instances[1] == {
        "name": "gallery-13001",
        "url": "http://127.0.0.1:13001/health",
        "program": "gallery:gallery-13001",
        "log": "/s/logs/gallery-13001.log",
    }


def test_cdn_origins_are_the_load_balancer_with_its_secret_and_the_bucket_through_its_access_control():
    origins = catalog()["videoforge_distribution"]["origins"]
    made = vf_model.cdn_origins(origins, "alb.example.com", "s3cret", "media.s3.example.com", "")
    header = origins["alb"]["secret_header"]
    assert made == [
        {
            "id": "alb",
            "kind": "custom",
            "domain_name": "alb.example.com",
            "custom_headers": {header: "s3cret"},
        },
        {"id": "media", "kind": "s3", "domain_name": "media.s3.example.com", "origin_access_control_id": ""},
    ]


def test_cdn_behaviours_name_our_policies_by_id_aws_managed_ones_by_name_and_sign_only_the_media():
    distribution = catalog()["videoforge_distribution"]
    ours = {key: f"id-{key}" for key in distribution["cache_policies"]}
    made = vf_model.cdn_behaviours(distribution["behaviours"] + [distribution["default"]], ours, "kg")
    assert [(b["path_pattern"], b["cache_policy"], b["trusted_key_groups"]) for b in made] == [
        ("/hls/*", "id-media", ["kg"]),
        ("/api/*", "CachingDisabled", []),
        ("", "id-site", []),
    ]
    assert made[1]["origin_request_policy"] == "AllViewerExceptHostHeader"
    assert (made[0]["allowed_methods"], made[2]["target_origin"]) == (["GET", "HEAD"], "alb")
