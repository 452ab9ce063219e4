"""vf_rds_instance's and vf_rds_subnet_group's plans on the RDS API reference's shapes
(DescribeDBInstances, DescribeDBSubnetGroups): an instance as declared is left alone, a change
RDS has accepted but not applied yet is not asked for again, what cannot change fails with a
reason, deletion protection holds, and the master password never appears in what a run shows.
"""

from __future__ import annotations

import copy
import json

import pytest
from ansible.module_utils.vf_module import ReconcileError
from ansible.module_utils.vf_rds import engine_version_change, instance_plan, subnet_group_plan

ARN = "arn:aws:rds:ap-southeast-2:123456789012:db:video-forge-dev-db"
PASSWORD = "correct-horse-battery-staple"
# A DescribeDBInstances entry, as the API reference shows one (trimmed to what matters here).
DESCRIBED = {
    "DBInstanceIdentifier": "video-forge-dev-db",
    "DBInstanceClass": "db.t4g.micro",
    "Engine": "postgres",
    "DBInstanceStatus": "available",
    "MasterUsername": "videoforge",
    "DBName": "videoforge",
    "Endpoint": {
        "Address": "video-forge-dev-db.c9akciq32.ap-southeast-2.rds.amazonaws.com",
        "Port": 5432,
        "HostedZoneId": "Z32T0VRHXEXS0V",
    },
    "AllocatedStorage": 20,
    "BackupRetentionPeriod": 7,
    "VpcSecurityGroups": [{"VpcSecurityGroupId": "sg-0db", "Status": "active"}],
    "DBSubnetGroup": {
        "DBSubnetGroupName": "video-forge-dev-db",
        "VpcId": "vpc-1",
        "SubnetGroupStatus": "Complete",
    },
    "PendingModifiedValues": {},
    "MultiAZ": False,
    "EngineVersion": "16.3",
    "AutoMinorVersionUpgrade": True,
    "PubliclyAccessible": False,
    "StorageType": "gp3",
    "DbInstancePort": 0,
    "StorageEncrypted": True,
    "KmsKeyId": "arn:aws:kms:ap-southeast-2:123456789012:key/1234abcd",
    "CACertificateIdentifier": "rds-ca-rsa2048-g1",
    "DeletionProtection": True,
    "DBInstanceArn": ARN,
    "TagList": [{"Key": "Environment", "Value": "dev"}],
}


def params(**overrides) -> dict:
    p = {
        "name": "video-forge-dev-db",
        "engine": "postgres",
        "engine_version": "16",
        "instance_class": "db.t4g.micro",
        "allocated_storage": 20,
        "max_allocated_storage": 0,
        "storage_type": "gp3",
        "storage_encrypted": True,
        "kms_key_id": None,
        "db_name": "videoforge",
        "master_username": "videoforge",
        "master_password": PASSWORD,
        "update_password": "on_create",
        "port": 5432,
        "subnet_group": "video-forge-dev-db",
        "security_group_ids": ["sg-0db"],
        "publicly_accessible": False,
        "multi_az": False,
        "backup_retention_days": 7,
        "deletion_protection": True,
        "auto_minor_version_upgrade": True,
        "ca_certificate_identifier": None,
        "final_snapshot_identifier": None,
        "tags": {"Environment": "dev"},
        "purge_tags": True,
        "state": "present",
    }
    return {**p, **overrides}


def current(**changes) -> dict:
    described = {**copy.deepcopy(DESCRIBED), **changes}
    return {"instance": described, "tags": {t["Key"]: t["Value"] for t in described["TagList"]}}


def shown(plan) -> str:
    return json.dumps({"report": plan.report(), "before": plan.before, "after": plan.after})


def test_an_instance_as_declared_changes_nothing():
    plan = instance_plan(current(), params(), check_mode=False)
    assert plan.changes == []
    assert plan.result["endpoint"].startswith("video-forge-dev-db.")
    assert plan.result["port"] == 5432


def test_a_bigger_class_is_one_modify_and_the_diff_shows_it():
    plan = instance_plan(current(), params(instance_class="db.t4g.small"), check_mode=False)
    assert plan.changes == ["instance_class"]
    assert plan.steps["modify"] == {"DBInstanceClass": "db.t4g.small"}
    assert plan.before["instance_class"] == "db.t4g.micro"
    assert plan.after["instance_class"] == "db.t4g.small"


def test_a_change_rds_has_accepted_but_not_applied_is_not_asked_again():
    pending = current(PendingModifiedValues={"DBInstanceClass": "db.t4g.small", "AllocatedStorage": 50})
    plan = instance_plan(
        pending, params(instance_class="db.t4g.small", allocated_storage=50), check_mode=False
    )
    assert plan.changes == []


def test_security_groups_compare_as_a_set_and_ignore_one_being_removed():
    described = current(
        VpcSecurityGroups=[
            {"VpcSecurityGroupId": "sg-b", "Status": "active"},
            {"VpcSecurityGroupId": "sg-a", "Status": "active"},
            {"VpcSecurityGroupId": "sg-old", "Status": "removing"},
        ]
    )
    assert (
        instance_plan(described, params(security_group_ids=["sg-a", "sg-b"]), check_mode=False).changes == []
    )


def test_what_cannot_change_fails_with_a_reason():
    with pytest.raises(ReconcileError, match="storage_encrypted"):
        instance_plan(current(StorageEncrypted=False), params(), check_mode=False)
    with pytest.raises(ReconcileError, match="master_username"):
        instance_plan(current(), params(master_username="admin"), check_mode=False)
    with pytest.raises(ReconcileError, match="cannot shrink"):
        instance_plan(current(), params(allocated_storage=10), check_mode=False)


def test_engine_versions_a_major_is_met_by_its_minors_and_never_goes_back():
    assert engine_version_change("16.3", "16") is None
    assert engine_version_change("16.3", "16.4") == "upgrade"
    assert engine_version_change("15.7", "16") == "major upgrade"
    with pytest.raises(ReconcileError, match="cannot downgrade"):
        engine_version_change("16.3", "15")
    plan = instance_plan(current(EngineVersion="15.7"), params(), check_mode=False)
    assert plan.steps["modify"] == {"EngineVersion": "16", "AllowMajorVersionUpgrade": True}


def test_create_has_every_declared_setting_and_encrypts_but_keeps_the_password_out_of_the_plan():
    plan = instance_plan({"instance": None, "tags": {}}, params(), check_mode=False)
    assert plan.changes == ["create"]
    request = plan.steps["create"]
    assert request["StorageEncrypted"] is True
    assert request["DeletionProtection"] is True
    assert request["VpcSecurityGroupIds"] == ["sg-0db"]
    assert request["DBSubnetGroupName"] == "video-forge-dev-db"
    assert request["PubliclyAccessible"] is False
    assert "MasterUserPassword" not in request
    assert PASSWORD not in shown(plan) + json.dumps(plan.steps)


def test_create_without_a_password_fails_but_check_mode_accepts_one_a_task_would_generate():
    empty = {"instance": None, "tags": {}}
    with pytest.raises(ReconcileError, match="master_password"):
        instance_plan(empty, params(master_password=None), check_mode=False)
    check = instance_plan(empty, params(master_password=None, security_group_ids=[""]), check_mode=True)
    assert check.changes == ["create"]
    assert check.after["security_group_ids"] == []


def test_always_updating_the_password_shows_that_it_changes_never_what_it_is():
    plan = instance_plan(current(), params(update_password="always"), check_mode=False)
    assert plan.changes == ["master_password"]
    assert PASSWORD not in shown(plan)
    assert plan.steps["password"] is True


def test_deletion_protection_refuses_a_delete():
    with pytest.raises(ReconcileError, match="deletion protection"):
        instance_plan(current(), params(state="absent"), check_mode=False)
    plan = instance_plan(current(DeletionProtection=False), params(state="absent"), check_mode=False)
    assert plan.changes == ["delete"]
    assert (
        instance_plan({"instance": None, "tags": {}}, params(state="absent"), check_mode=False).changes == []
    )


def test_tags_are_reconciled_like_everywhere_else():
    plan = instance_plan(current(), params(tags={"Environment": "dev", "Owner": "video"}), check_mode=False)
    assert plan.changes == ["tags"]
    assert plan.steps["tags"]["set"] == {"Owner": "video"}


SUBNET_GROUP = {
    "DBSubnetGroupName": "video-forge-dev-db",
    "DBSubnetGroupDescription": "VideoForge database subnets",
    "VpcId": "vpc-1",
    "SubnetGroupStatus": "Complete",
    "Subnets": [
        {
            "SubnetIdentifier": "subnet-b",
            "SubnetAvailabilityZone": {"Name": "ap-southeast-2b"},
            "SubnetStatus": "Active",
        },
        {
            "SubnetIdentifier": "subnet-a",
            "SubnetAvailabilityZone": {"Name": "ap-southeast-2a"},
            "SubnetStatus": "Active",
        },
    ],
    "DBSubnetGroupArn": "arn:aws:rds:ap-southeast-2:123456789012:subgrp:video-forge-dev-db",
}


def group_params(**overrides) -> dict:
    p = {
        "name": "video-forge-dev-db",
        "description": "VideoForge database subnets",
        "subnet_ids": ["subnet-a", "subnet-b"],
        "tags": {},
        "purge_tags": True,
        "state": "present",
    }
    return {**p, **overrides}


def test_a_subnet_group_compares_its_subnets_as_a_set():
    have = {"subnet_group": SUBNET_GROUP, "tags": {}}
    assert subnet_group_plan(have, group_params(subnet_ids=["subnet-b", "subnet-a"]), False).changes == []
    moved = subnet_group_plan(have, group_params(subnet_ids=["subnet-a", "subnet-c"]), False)
    assert moved.changes == ["subnet_ids"]
    assert moved.steps["modify"]["subnet_ids"] == ["subnet-a", "subnet-c"]


def test_a_subnet_group_in_check_mode_accepts_subnets_not_published_yet():
    plan = subnet_group_plan({"subnet_group": None, "tags": {}}, group_params(subnet_ids=[""]), True)
    assert plan.changes == ["create"]
    with pytest.raises(ReconcileError, match="subnet_ids is empty"):
        subnet_group_plan({"subnet_group": None, "tags": {}}, group_params(subnet_ids=[""]), False)


def test_storage_autoscaling_grew_past_the_declared_size_is_not_drift():
    # DescribeDBInstances after RDS grew a 20 GiB instance whose maximum is 100 GiB.
    grown = current(AllocatedStorage=28, MaxAllocatedStorage=100)
    plan = instance_plan(grown, params(allocated_storage=20, max_allocated_storage=100), check_mode=False)
    assert plan.changes == []
    assert plan.steps["modify"] == {}
    # A declared size above the grown one is still asked for; the maximum is still managed.
    bigger = instance_plan(grown, params(allocated_storage=40, max_allocated_storage=100), check_mode=False)
    assert bigger.steps["modify"] == {"AllocatedStorage": 40}
    higher = instance_plan(grown, params(allocated_storage=20, max_allocated_storage=200), check_mode=False)
    assert higher.steps["modify"] == {"MaxAllocatedStorage": 200}


def test_storage_past_the_declared_size_without_autoscaling_still_cannot_shrink():
    grown = current(AllocatedStorage=28, MaxAllocatedStorage=100)
    with pytest.raises(ReconcileError, match="cannot shrink"):
        instance_plan(grown, params(allocated_storage=20, max_allocated_storage=0), check_mode=False)
    with pytest.raises(ReconcileError, match="cannot shrink"):  # past a maximum declared lower since
        instance_plan(grown, params(allocated_storage=20, max_allocated_storage=25), check_mode=False)
