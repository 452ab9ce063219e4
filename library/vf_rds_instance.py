#!/usr/bin/python
"""Reconcile one RDS DB instance; its master password is write-only."""

from __future__ import annotations

DOCUMENTATION = r"""
---
module: vf_rds_instance
short_description: Create, update or delete an RDS DB instance (PostgreSQL by default)
description:
  - Reconciles one DB instance to the declared class, storage, engine version, backups,
    deletion protection and network (subnet group, security groups), and its tags.
  - Changes go through ModifyDBInstance with I(apply_immediately). What RDS has accepted but not
    applied yet counts as done, so a second run asks for nothing again.
  - What an existing instance cannot change (engine, master user, initial database, storage
    encryption, subnet group) fails with a reason; storage never shrinks; the engine version never goes back.
  - The master password is write-only. It is set when the instance is created (and again on
    every run with I(update_password=always)), and never shown in a result, a diff or a log.
  - Waits until the instance is C(available) after a create or modify (RDS takes minutes), and
    until it is gone after a delete.
options:
  name:
    description: The DB instance identifier.
    type: str
    required: true
  engine:
    description: The engine.
    type: str
    default: postgres
  engine_version:
    description:
      - The engine version. A major version (C("16")) is met by any of its minor versions.
      - A higher major version upgrades the instance (C(AllowMajorVersionUpgrade)); a lower one fails.
    type: str
  instance_class:
    description: The instance class (C(db.t4g.micro)). Required to create.
    type: str
  allocated_storage:
    description:
      - Storage, GiB. Required to create; can only grow.
      - With storage autoscaling on (I(max_allocated_storage)) this is the least storage; what RDS has
        grown past it, up to the maximum, is left alone.
    type: int
  max_allocated_storage:
    description: Upper limit of storage autoscaling, GiB; C(0) turns it off.
    type: int
    default: 0
  storage_type:
    description: The storage type.
    type: str
    default: gp3
  storage_encrypted:
    description: Encrypt the storage (at rest). Cannot change on an existing instance.
    type: bool
    default: true
  kms_key_id:
    description: The KMS key of the encryption; the account's C(aws/rds) key when not given.
    type: str
  db_name:
    description: The database created with the instance.
    type: str
  master_username:
    description: The master user. Required to create; cannot change.
    type: str
  master_password:
    description: The master user's password (write-only; never returned). Required to create.
    type: str
  update_password:
    description: C(on_create) sets I(master_password) only when creating; C(always) sets it on every run.
    type: str
    choices: [on_create, always]
    default: on_create
  port:
    description: The port.
    type: int
    default: 5432
  subnet_group:
    description: The DB subnet group (see M(vf_rds_subnet_group)).
    type: str
  security_group_ids:
    description: VPC security group ids.
    type: list
    elements: str
    default: []
  publicly_accessible:
    description: Give the instance a public address.
    type: bool
    default: false
  multi_az:
    description: A standby in a second availability zone.
    type: bool
    default: false
  backup_retention_days:
    description: Days automated backups are kept (C(0) turns them off).
    type: int
    default: 7
  deletion_protection:
    description: Refuse deletion (this module fails a I(state=absent) run too).
    type: bool
    default: false
  auto_minor_version_upgrade:
    description: Apply minor engine upgrades in the maintenance window.
    type: bool
    default: true
  ca_certificate_identifier:
    description: The server certificate's CA (C(rds-ca-rsa2048-g1)); not managed when not given.
    type: str
  apply_immediately:
    description: Apply modifications now rather than in the maintenance window.
    type: bool
    default: true
  final_snapshot_identifier:
    description: With I(state=absent), the snapshot to take before deleting; none when not given.
    type: str
  wait:
    description: Wait until the instance is available (or gone).
    type: bool
    default: true
  wait_timeout:
    description: Seconds to wait.
    type: int
    default: 2400
extends_documentation_fragment: [vf_aws, vf_aws.state, vf_aws.tags]
notes:
  - In check mode, security groups an earlier task would create (empty ids) and a missing
    password are accepted, so a whole deployment can be checked against an empty account.
author: VideoForge
"""

EXAMPLES = r"""
- name: Ensure the database instance
  vf_rds_instance:
    name: video-forge-dev-db
    engine_version: "16"
    instance_class: db.t4g.micro
    allocated_storage: 20
    db_name: videoforge
    master_username: videoforge
    master_password: "{{ password.value }}"
    subnet_group: video-forge-dev-db
    security_group_ids: ["{{ database_sg_id }}"]
    deletion_protection: true
  no_log: true
"""

RETURN = r"""
arn:
  description: The instance's ARN (empty in check mode when it would be created).
  returned: always
  type: str
endpoint:
  description: The address clients connect to (empty until RDS has made it).
  returned: always
  type: str
port:
  description: The port.
  returned: always
  type: int
status:
  description: The instance's status.
  returned: always
  type: str
"""

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.vf_module import module_args, reconcile
from ansible.module_utils.vf_rds import instance_plan
from ansible.module_utils.vf_rds_aws import apply_instance, read_instance

OPTIONS = {
    "name": {"type": "str", "required": True},
    "engine": {"type": "str", "default": "postgres"},
    "engine_version": {"type": "str"},
    "instance_class": {"type": "str"},
    "allocated_storage": {"type": "int"},
    "max_allocated_storage": {"type": "int", "default": 0},
    "storage_type": {"type": "str", "default": "gp3"},
    "storage_encrypted": {"type": "bool", "default": True},
    "kms_key_id": {"type": "str"},
    "db_name": {"type": "str"},
    "master_username": {"type": "str"},
    "master_password": {"type": "str", "no_log": True},
    "update_password": {
        "type": "str",
        "choices": ["on_create", "always"],
        "default": "on_create",
        "no_log": False,
    },
    "port": {"type": "int", "default": 5432},
    "subnet_group": {"type": "str"},
    "security_group_ids": {"type": "list", "elements": "str", "default": []},
    "publicly_accessible": {"type": "bool", "default": False},
    "multi_az": {"type": "bool", "default": False},
    "backup_retention_days": {"type": "int", "default": 7},
    "deletion_protection": {"type": "bool", "default": False},
    "auto_minor_version_upgrade": {"type": "bool", "default": True},
    "ca_certificate_identifier": {"type": "str"},
    "apply_immediately": {"type": "bool", "default": True},
    "final_snapshot_identifier": {"type": "str"},
    "wait": {"type": "bool", "default": True},
    "wait_timeout": {"type": "int", "default": 2400},
}


def main() -> None:
    """Reconcile one DB instance."""
    module = AnsibleModule(**module_args(OPTIONS))
    reconcile(module, read_instance, instance_plan, apply_instance)


if __name__ == "__main__":
    main()
