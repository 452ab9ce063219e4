"""The iam role's roles in one module run: vf_iam_roles reconciles each role on its own,
with a result and a diff per role, one account lookup for the family, no write on a re-run or in
check mode. The module runs here on an in-memory IAM that answers as
the API reference shows (GetRole's documents URL-decoded to dicts, NoSuchEntity for a missing
role or instance profile)."""

from __future__ import annotations

import copy
import json

import pytest
import vf_iam_roles
from ansible.module_utils import vf_aws
from ansible.module_utils.testing import patch_module_args
from ansible.module_utils.vf_aws import AwsError

ACCOUNT = "123456789012"
ECS_TRUST = {
    "Version": "2012-10-17",
    "Statement": [
        {"Effect": "Allow", "Principal": {"Service": "ecs-tasks.amazonaws.com"}, "Action": "sts:AssumeRole"}
    ],
}
EC2_TRUST = {
    "Version": "2012-10-17",
    "Statement": [
        {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}
    ],
}


def policy(*resources: str) -> dict:
    """An inline policy allowing s3:GetObject on ``resources``."""
    return {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": ["s3:GetObject"], "Resource": list(resources)}],
    }


ROLES = [
    {
        "name": "vf-gallery-execution",
        "assume_role_policy": ECS_TRUST,
        "inline_policies": {"execution": policy("arn:aws:s3:::b/uploads/*")},
        "tags": {"Project": "VideoForge"},
    },
    {
        "name": "vf-gallery-task",
        "description": "What the gallery service's code may do",
        "assume_role_policy": ECS_TRUST,
        "inline_policies": {"access": policy("arn:aws:s3:::b/hls/*")},
        "tags": {"Project": "VideoForge"},
    },
    {
        "name": "vf-processor",
        "assume_role_policy": EC2_TRUST,
        "inline_policies": {"access": policy("arn:aws:s3:::b/hls/*", "arn:aws:s3:::b/thumbnails/*")},
        "instance_profile": True,
        "tags": {"Project": "VideoForge"},
    },
]
NAMES = [r["name"] for r in ROLES]
READS = ("get_", "list_")


class FakeIam:
    """The IAM calls the modules make, on roles and instance profiles held in memory."""

    def __init__(self, calls: list[str]):
        self.calls = calls
        self.roles: dict[str, dict] = {}
        self.profiles: dict[str, dict] = {}

    def call(self, operation: str, retry_codes=frozenset(), **p):
        """Answer ``operation`` as IAM would (raising AwsError as AwsClient does)."""
        self.calls.append(operation)
        return getattr(self, operation)(**p)

    def paginate(self, operation: str, key: str, **p):
        """All items of a listing (one page is enough in memory)."""
        return self.call(operation, **p)[key]

    def _role(self, op: str, name: str) -> dict:
        if name not in self.roles:
            raise AwsError(op, "NoSuchEntity", f"The role with name {name} cannot be found.", 404)
        return self.roles[name]

    def _profile(self, op: str, name: str) -> dict:
        if name not in self.profiles:
            raise AwsError(op, "NoSuchEntity", f"Instance Profile {name} cannot be found.", 404)
        return self.profiles[name]

    def get_role(self, RoleName):
        r = self._role("get_role", RoleName)
        role = {k: copy.deepcopy(r[k]) for k in ("RoleName", "Arn", "Path", "AssumeRolePolicyDocument")}
        role.update(MaxSessionDuration=r["MaxSessionDuration"], RoleId="AROA" + RoleName.upper())
        if r["Description"]:
            role["Description"] = r["Description"]
        return {"Role": role}

    def create_role(self, RoleName, Path, AssumeRolePolicyDocument, Description, MaxSessionDuration, Tags=()):
        arn = f"arn:aws:iam::{ACCOUNT}:role{Path}{RoleName}"
        self.roles[RoleName] = {
            "RoleName": RoleName,
            "Arn": arn,
            "Path": Path,
            "AssumeRolePolicyDocument": json.loads(AssumeRolePolicyDocument),
            "Description": Description,
            "MaxSessionDuration": MaxSessionDuration,
            "Policies": {},
            "Attached": [],
            "Tags": {t["Key"]: t["Value"] for t in Tags},
        }
        return {"Role": {"RoleName": RoleName, "Arn": arn}}

    def update_assume_role_policy(self, RoleName, PolicyDocument):
        self._role("update_assume_role_policy", RoleName)["AssumeRolePolicyDocument"] = json.loads(
            PolicyDocument
        )

    def update_role(self, RoleName, Description, MaxSessionDuration):
        self._role("update_role", RoleName).update(
            Description=Description, MaxSessionDuration=MaxSessionDuration
        )

    def delete_role(self, RoleName):
        role = self._role("delete_role", RoleName)
        if (
            role["Policies"]
            or role["Attached"]
            or any(RoleName in p["Roles"] for p in self.profiles.values())
        ):
            raise AwsError("delete_role", "DeleteConflict", "Cannot delete entity, must remove first.", 409)
        del self.roles[RoleName]

    def list_role_policies(self, RoleName):
        return {"PolicyNames": sorted(self._role("list_role_policies", RoleName)["Policies"])}

    def get_role_policy(self, RoleName, PolicyName):
        doc = self._role("get_role_policy", RoleName)["Policies"][PolicyName]
        return {"RoleName": RoleName, "PolicyName": PolicyName, "PolicyDocument": copy.deepcopy(doc)}

    def put_role_policy(self, RoleName, PolicyName, PolicyDocument):
        self._role("put_role_policy", RoleName)["Policies"][PolicyName] = json.loads(PolicyDocument)

    def delete_role_policy(self, RoleName, PolicyName):
        del self._role("delete_role_policy", RoleName)["Policies"][PolicyName]

    def list_attached_role_policies(self, RoleName):
        attached = self._role("list_attached_role_policies", RoleName)["Attached"]
        return {"AttachedPolicies": [{"PolicyArn": a, "PolicyName": a.rsplit("/", 1)[-1]} for a in attached]}

    def list_role_tags(self, RoleName):
        tags = self._role("list_role_tags", RoleName)["Tags"]
        return {"Tags": [{"Key": k, "Value": v} for k, v in tags.items()]}

    def tag_role(self, RoleName, Tags):
        self._role("tag_role", RoleName)["Tags"].update({t["Key"]: t["Value"] for t in Tags})

    def untag_role(self, RoleName, TagKeys):
        for key in TagKeys:
            self._role("untag_role", RoleName)["Tags"].pop(key, None)

    def get_instance_profile(self, InstanceProfileName):
        profile = self._profile("get_instance_profile", InstanceProfileName)
        roles = [{"RoleName": r, "Arn": self.roles[r]["Arn"]} for r in profile["Roles"]]
        return {"InstanceProfile": {**profile, "Roles": roles}}

    def create_instance_profile(self, InstanceProfileName, Path):
        arn = f"arn:aws:iam::{ACCOUNT}:instance-profile{Path}{InstanceProfileName}"
        self.profiles[InstanceProfileName] = {
            "InstanceProfileName": InstanceProfileName,
            "Arn": arn,
            "Roles": [],
        }

    def add_role_to_instance_profile(self, InstanceProfileName, RoleName):
        self._profile("add_role_to_instance_profile", InstanceProfileName)["Roles"].append(RoleName)

    def remove_role_from_instance_profile(self, InstanceProfileName, RoleName):
        self._profile("remove_role_from_instance_profile", InstanceProfileName)["Roles"].remove(RoleName)

    def delete_instance_profile(self, InstanceProfileName):
        self._profile("delete_instance_profile", InstanceProfileName)
        del self.profiles[InstanceProfileName]


class FakeSts:
    """GetCallerIdentity, counted."""

    def __init__(self, calls: list[str]):
        self.calls = calls

    def call(self, operation: str, **p):
        self.calls.append(operation)
        return {"Account": ACCOUNT, "Arn": f"arn:aws:iam::{ACCOUNT}:user/ci", "UserId": "AIDA"}


@pytest.fixture
def iam(monkeypatch):
    """The in-memory IAM every client of a module run talks to; ``iam.calls`` lists every call."""
    calls: list[str] = []
    fake, sts = FakeIam(calls), FakeSts(calls)
    monkeypatch.setattr(vf_aws, "connect", lambda service, *a: {"iam": fake, "sts": sts}[service])
    return fake


@pytest.fixture
def result(capsys):
    """Run a module's main() with ``args`` (with --diff; in check mode if ``check``): its result."""

    def run(module, args: dict, check: bool = False) -> dict:
        args = {**args, "region": "ap-southeast-2", "_ansible_check_mode": check, "_ansible_diff": True}
        with patch_module_args(args), pytest.raises(SystemExit):
            module.main()
        return json.loads(capsys.readouterr().out)

    return run


def writes(calls: list[str]) -> list[str]:
    """The calls that change something."""
    return [c for c in calls if not c.startswith(READS)]


def test_a_family_creates_every_role_in_one_run_with_one_account_lookup(iam, result):
    out = result(vf_iam_roles, {"roles": ROLES})
    assert out["changed"] is True
    assert [(r["item"], r["changes"], r["exists"]) for r in out["results"]] == [
        (n, ["create"], True) for n in NAMES
    ]
    assert iam.calls.count("get_caller_identity") == 1
    assert (
        out["roles"]["vf-processor"]["instance_profile_arn"]
        == f"arn:aws:iam::{ACCOUNT}:instance-profile/vf-processor"
    )
    assert "instance_profile_arn" not in out["roles"]["vf-gallery-task"]
    assert out["roles"]["vf-gallery-task"]["arn"] == f"arn:aws:iam::{ACCOUNT}:role/vf-gallery-task"
    assert out["roles"]["vf-gallery-task"]["account_id"] == ACCOUNT
    assert out["roles"]["vf-gallery-task"]["inline_policies"] == {"access": policy("arn:aws:s3:::b/hls/*")}
    assert "diff" not in out["roles"]["vf-gallery-task"]
    assert [(d["before_header"], d["before"]) for d in out["diff"]] == [(n, {}) for n in NAMES]
    assert out["diff"][2]["after"]["instance_profile"] is True
    assert iam.profiles["vf-processor"]["Roles"] == ["vf-processor"]
    assert iam.roles["vf-gallery-task"]["Description"] == "What the gallery service's code may do"


def test_a_converged_family_reruns_without_a_write(iam, result):
    result(vf_iam_roles, {"roles": ROLES})
    iam.calls.clear()
    out = result(vf_iam_roles, {"roles": ROLES})
    assert (out["changed"], out["diff"], writes(iam.calls)) == (False, [], [])
    assert [r["changed"] for r in out["results"]] == [False, False, False]


def test_a_family_diffs_only_the_drifted_role_and_check_mode_writes_nothing(iam, result):
    result(vf_iam_roles, {"roles": ROLES})
    iam.roles["vf-gallery-task"]["Policies"]["access"] = policy("arn:aws:s3:::b/*")  # widened by hand
    iam.roles["vf-processor"]["Tags"] = {}
    iam.calls.clear()
    out = result(vf_iam_roles, {"roles": ROLES}, check=True)
    assert writes(iam.calls) == []
    assert out["changed"] is True
    assert [(r["item"], r["changes"]) for r in out["results"]] == [
        ("vf-gallery-execution", []),
        ("vf-gallery-task", ["inline_policies.access"]),
        ("vf-processor", ["tags"]),
    ]
    task_diff, processor_diff = out["diff"]
    assert (task_diff["before_header"], task_diff["after_header"]) == ("vf-gallery-task", "vf-gallery-task")
    assert task_diff["before"]["inline_policies"]["access"]["Statement"][0]["Resource"] == "arn:aws:s3:::b/*"
    assert (
        task_diff["after"]["inline_policies"]["access"]["Statement"][0]["Resource"] == "arn:aws:s3:::b/hls/*"
    )
    assert (processor_diff["before"]["tags"], processor_diff["after"]["tags"]) == (
        {},
        {"Project": "VideoForge"},
    )
    out = result(vf_iam_roles, {"roles": ROLES})
    assert writes(iam.calls) == ["put_role_policy", "tag_role"]
    assert result(vf_iam_roles, {"roles": ROLES})["changed"] is False


def test_a_family_deletes_its_roles_and_the_instance_profile(iam, result):
    result(vf_iam_roles, {"roles": ROLES})
    names = [{"name": n} for n in NAMES]
    out = result(vf_iam_roles, {"roles": names, "state": "absent"})
    assert [(r["item"], r["changes"], r["exists"]) for r in out["results"]] == [
        (n, ["delete"], False) for n in NAMES
    ]
    assert (iam.roles, iam.profiles) == ({}, {})
    assert result(vf_iam_roles, {"roles": names, "state": "absent"})["changed"] is False


def test_a_family_of_one_reads_and_deletes_a_role(iam, result):
    result(vf_iam_roles, {"roles": ROLES})
    iam.calls.clear()
    out = result(vf_iam_roles, {"roles": [{"name": "vf-processor"}], "state": "read"})["results"][0]
    assert (out["changed"], out["exists"], writes(iam.calls)) == (False, True, [])
    assert out["instance_profile_arn"].endswith(":instance-profile/vf-processor")
    assert result(vf_iam_roles, {"roles": [ROLES[2]]})["changed"] is False
    gone = result(vf_iam_roles, {"roles": [{"name": "vf-processor"}], "state": "absent"})
    assert gone["results"][0]["changes"] == ["delete"]
    assert "vf-processor" not in iam.roles and iam.profiles == {}


def test_a_failing_role_fails_the_family_naming_it_after_the_roles_before_it(iam, result, monkeypatch):
    def refuse(**p):
        raise AwsError("create_role", "LimitExceeded", "Cannot exceed quota for RolesPerAccount: 1000", 409)

    result(vf_iam_roles, {"roles": ROLES[:1]})
    monkeypatch.setattr(iam, "create_role", refuse)
    out = result(vf_iam_roles, {"roles": ROLES})
    assert out["failed"] is True
    assert out["msg"].startswith("vf-gallery-task: ") and "LimitExceeded" in out["msg"]
    assert out["item"] == "vf-gallery-task"
    assert [r["item"] for r in out["results"]] == ["vf-gallery-execution"]


@pytest.mark.parametrize(
    ("roles", "message"),
    [
        ([{"name": "vf-a"}], "every role needs an assume_role_policy: ['vf-a']"),
        ([ROLES[0], ROLES[0]], "every role in roles needs a name of its own"),
    ],
)
def test_a_family_that_cannot_be_reconciled_fails_before_any_call(iam, result, roles, message):
    out = result(vf_iam_roles, {"roles": roles})
    assert out["failed"] is True and message in out["msg"]
    assert iam.calls == []
