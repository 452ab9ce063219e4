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
  previous_names:
    description:
      - Names this deployment's pool had before. When no pool is named I(name) but one is named
        one of these (tried in order), that pool is this deployment's pool, so its users keep
        their accounts and their videos; Cognito cannot rename a pool, so it keeps its old name
        (returned as RV(pool_name)).
    type: list
    elements: str
    default: []
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
  tags:
    description: Tags of the user pool.
    type: dict
    default: {}
extends_documentation_fragment: [vf_aws, vf_aws.state]
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
pool_name:
  description: The pool's own name, a previous name when the pool was adopted under it.
  returned: always
  type: str
"""

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.vf_cognito import user_pool_plan
from ansible.module_utils.vf_cognito_aws import apply_user_pool, read_user_pool
from ansible.module_utils.vf_module import module_args, reconcile

PASSWORD_POLICY = {
    "minimum_length": {"type": "int", "default": 8},
    "require_uppercase": {"type": "bool", "default": True},
    "require_lowercase": {"type": "bool", "default": True},
    "require_numbers": {"type": "bool", "default": True},
    "require_symbols": {"type": "bool", "default": False},
    "temporary_password_validity_days": {"type": "int", "default": 7},
}
AUTH_FLOWS = ["ALLOW_USER_PASSWORD_AUTH", "ALLOW_USER_SRP_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"]
OPTIONS = {
    "name": {"type": "str", "required": True},
    "previous_names": {"type": "list", "elements": "str", "default": []},
    "client_name": {"type": "str"},
    "password_policy": {"type": "dict", "default": {}, "no_log": False, "options": PASSWORD_POLICY},
    "username_attributes": {"type": "list", "elements": "str", "default": ["email"]},
    "auto_verified_attributes": {"type": "list", "elements": "str", "default": ["email"]},
    "mfa": {"type": "str", "choices": ["OFF", "OPTIONAL", "ON"], "default": "OFF"},
    "admin_create_only": {"type": "bool", "default": False},
    "deletion_protection": {"type": "bool", "default": False},
    "auth_flows": {"type": "list", "elements": "str", "default": AUTH_FLOWS},
    "access_token_minutes": {"type": "int", "default": 60},
    "id_token_minutes": {"type": "int", "default": 60},
    "refresh_token_days": {"type": "int", "default": 30},
    "prevent_user_existence_errors": {"type": "bool", "default": True},
    "tags": {"type": "dict", "default": {}},
}


def main() -> None:
    """Reconcile the user pool and its app client."""
    module = AnsibleModule(**module_args(OPTIONS, tags=False))
    reconcile(module, read_user_pool, user_pool_plan, apply_user_pool)


if __name__ == "__main__":
    main()
