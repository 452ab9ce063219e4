#!/usr/bin/python
"""Reconcile a Cognito user pool and its app client (password + SRP + refresh sign-in)."""

from __future__ import annotations

DOCUMENTATION = r"""
---
module: vf_cognito_user_pool
short_description: Create, update or delete a Cognito user pool and its app client
description:
  - Reconciles one user pool, found by name, to the declared password policy, sign-in
    attributes, auto-verified attributes, MFA and deletion protection, and one app client,
    found by name, with the declared auth flows and token lifetimes.
  - The client has no secret (a browser and the gallery service sign users in with
    C(USER_PASSWORD_AUTH) or C(USER_SRP_AUTH) and refresh with C(REFRESH_TOKEN_AUTH)).
  - C(update_user_pool) resets what it is not given; the module sends the whole managed
    configuration plus the pool's other settings, so a change never loses anything.
  - Returns the ids the services need (C(user_pool_id), C(client_id)).
options:
  name:
    description: The user pool's name.
    type: str
    required: true
  client_name:
    description: The app client's name. Defaults to I(name) followed by C(-app).
    type: str
  password_policy:
    description: The password policy.
    type: dict
    default: {}
    suboptions:
      minimum_length: {description: Minimum length., type: int, default: 8}
      require_uppercase: {description: Needs an upper-case letter., type: bool, default: true}
      require_lowercase: {description: Needs a lower-case letter., type: bool, default: true}
      require_numbers: {description: Needs a digit., type: bool, default: true}
      require_symbols: {description: Needs a symbol., type: bool, default: false}
      temporary_password_validity_days:
        description: Days a temporary password is valid.
        type: int
        default: 7
  username_attributes:
    description: Attributes users sign in with instead of a user name (fixed at creation).
    type: list
    elements: str
    default: [email]
  auto_verified_attributes:
    description: Attributes Cognito verifies by sending a code.
    type: list
    elements: str
    default: [email]
  mfa:
    description: MFA configuration.
    type: str
    choices: ['OFF', 'OPTIONAL', 'ON']
    default: 'OFF'
  admin_create_only:
    description: Only administrators create users (no self sign-up).
    type: bool
    default: false
  deletion_protection:
    description: Refuse to delete the pool.
    type: bool
    default: false
  auth_flows:
    description: The client's explicit auth flows.
    type: list
    elements: str
    default: [ALLOW_USER_PASSWORD_AUTH, ALLOW_USER_SRP_AUTH, ALLOW_REFRESH_TOKEN_AUTH]
  access_token_minutes:
    description: Lifetime of access tokens.
    type: int
    default: 60
  id_token_minutes:
    description: Lifetime of ID tokens.
    type: int
    default: 60
  refresh_token_days:
    description: Lifetime of refresh tokens.
    type: int
    default: 30
  prevent_user_existence_errors:
    description: Answer sign-in for unknown users like a wrong password.
    type: bool
    default: true
  state:
    description: C(present) or C(absent).
    type: str
    choices: [present, absent]
    default: present
  tags:
    description: Tags of the user pool.
    type: dict
    default: {}
extends_documentation_fragment: [vf_aws]
notes:
  - Supports check mode and diff mode. In check mode no call changes anything.
author: VideoForge
"""

EXAMPLES = r"""
- name: Ensure the user pool and its client
  vf_cognito_user_pool:
    name: video-forge-users
    client_name: video-forge-web
    password_policy:
      minimum_length: 8
  register: identity
"""

RETURN = r"""
user_pool_id:
  description: The pool id (empty in check mode when it would be created).
  returned: always
  type: str
user_pool_arn:
  description: The pool ARN.
  returned: always
  type: str
client_id:
  description: The app client id (empty in check mode when it would be created).
  returned: always
  type: str
jwks_url:
  description: Where AWS serves the pool's signing keys.
  returned: always
  type: str
changes:
  description: What differs (pool and client settings).
  returned: always
  type: list
  elements: str
"""

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.vf_aws import (
    AwsError,
    aws_argument_spec,
    connect_from_params,
    fail_with,
    require_boto3,
    tag_changes,
)
from ansible.module_utils.vf_cognito import (
    client_changes,
    client_of,
    client_update_params,
    desired_client,
    desired_pool,
    jwks_url,
    pool_changes,
    pool_of,
    pool_update_params,
)


def find_pool(idp, name: str) -> dict | None:
    matches = [p for p in idp.paginate("list_user_pools", "UserPools", MaxResults=60) if p["Name"] == name]
    if len(matches) > 1:
        raise AwsError("list_user_pools", "Ambiguous", f"{len(matches)} user pools are named {name}")
    if not matches:
        return None
    return idp.call("describe_user_pool", UserPoolId=matches[0]["Id"])["UserPool"]


def find_client(idp, pool_id: str, name: str) -> dict | None:
    clients = idp.paginate("list_user_pool_clients", "UserPoolClients", UserPoolId=pool_id, MaxResults=60)
    matches = [c for c in clients if c["ClientName"] == name]
    if not matches:
        return None
    return idp.call("describe_user_pool_client", UserPoolId=pool_id, ClientId=matches[0]["ClientId"])[
        "UserPoolClient"
    ]


def main() -> None:
    spec = aws_argument_spec()
    spec.update(
        name={"type": "str", "required": True},
        client_name={"type": "str"},
        password_policy={
            "type": "dict",
            "default": {},
            "no_log": False,
            "options": {
                "minimum_length": {"type": "int", "default": 8},
                "require_uppercase": {"type": "bool", "default": True},
                "require_lowercase": {"type": "bool", "default": True},
                "require_numbers": {"type": "bool", "default": True},
                "require_symbols": {"type": "bool", "default": False},
                "temporary_password_validity_days": {"type": "int", "default": 7},
            },
        },
        username_attributes={"type": "list", "elements": "str", "default": ["email"]},
        auto_verified_attributes={"type": "list", "elements": "str", "default": ["email"]},
        mfa={"type": "str", "choices": ["OFF", "OPTIONAL", "ON"], "default": "OFF"},
        admin_create_only={"type": "bool", "default": False},
        deletion_protection={"type": "bool", "default": False},
        auth_flows={
            "type": "list",
            "elements": "str",
            "default": ["ALLOW_USER_PASSWORD_AUTH", "ALLOW_USER_SRP_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
        },
        access_token_minutes={"type": "int", "default": 60},
        id_token_minutes={"type": "int", "default": 60},
        refresh_token_days={"type": "int", "default": 30},
        prevent_user_existence_errors={"type": "bool", "default": True},
        state={"type": "str", "choices": ["present", "absent"], "default": "present"},
        tags={"type": "dict", "default": {}},
    )
    module = AnsibleModule(argument_spec=spec, supports_check_mode=True)
    require_boto3(module.fail_json)
    p = module.params
    name = p["name"]
    client_name = p["client_name"] or f"{name}-app"
    idp = connect_from_params("cognito-idp", p)
    region = idp.client.meta.region_name
    result: dict = {
        "name": name,
        "changed": False,
        "changes": [],
        "user_pool_id": "",
        "user_pool_arn": "",
        "client_id": "",
        "jwks_url": "",
    }
    try:
        pool = find_pool(idp, name)
        client = find_client(idp, pool["Id"], client_name) if pool else None
        if pool:
            result.update(
                user_pool_id=pool["Id"],
                user_pool_arn=pool.get("Arn", ""),
                jwks_url=jwks_url(region, pool["Id"]),
            )
        if client:
            result["client_id"] = client["ClientId"]

        if p["state"] == "absent":
            if pool:
                result.update(changed=True, changes=["delete"], diff={"before": {"name": name}, "after": {}})
                if not module.check_mode:
                    idp.call("delete_user_pool", UserPoolId=pool["Id"])
            module.exit_json(**result)

        want_pool = desired_pool(p)
        want_client = desired_client(p)
        changed_pool = pool_changes(pool, want_pool)
        if "UsernameAttributes" in changed_pool:
            module.fail_json(
                msg=f"user pool {name}: UsernameAttributes cannot change on an existing pool", **result
            )
        to_set, to_remove = tag_changes((pool or {}).get("UserPoolTags") or {}, p["tags"], True)
        changed_client = client_changes(client, want_client)
        changes = [f"pool {c}" for c in changed_pool]
        if pool and (to_set or to_remove):
            changes.append("pool tags")
        changes += [f"client {c}" for c in changed_client]
        result["changes"] = changes
        if not changes:
            module.exit_json(**result)
        before = {"pool": pool_of(pool), "client": client_of(client) if client else {}} if pool else {}
        result.update(
            changed=True, diff={"before": before, "after": {"pool": want_pool, "client": want_client}}
        )
        if module.check_mode:
            module.exit_json(**result)

        if pool is None:
            create = {k: v for k, v in want_pool.items()}
            create["PoolName"] = name
            if p["tags"]:
                create["UserPoolTags"] = {k: str(v) for k, v in p["tags"].items()}
            pool = idp.call("create_user_pool", **create)["UserPool"]
        else:
            if [c for c in changed_pool if c != "create"]:
                idp.call("update_user_pool", **pool_update_params(pool, want_pool))
            if to_set or to_remove:
                arn = pool["Arn"]
                if to_remove:
                    idp.call("untag_resource", ResourceArn=arn, TagKeys=to_remove)
                if to_set:
                    idp.call("tag_resource", ResourceArn=arn, Tags=to_set)
        pool_id = pool["Id"]
        result.update(
            user_pool_id=pool_id, user_pool_arn=pool.get("Arn", ""), jwks_url=jwks_url(region, pool_id)
        )
        if client is None:
            client = idp.call(
                "create_user_pool_client",
                UserPoolId=pool_id,
                ClientName=client_name,
                GenerateSecret=False,
                **want_client,
            )["UserPoolClient"]
        elif changed_client:
            idp.call("update_user_pool_client", **client_update_params(client, want_client))
        result["client_id"] = client["ClientId"]
        module.exit_json(**result)
    except AwsError as err:
        fail_with(module.fail_json, err, name=name)


if __name__ == "__main__":
    main()
