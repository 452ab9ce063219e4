"""Pure comparison functions for a Cognito user pool and its app client.

``update_user_pool`` and ``update_user_pool_client`` reset every setting they are not given, so
the modules send the whole managed configuration plus what they keep from the current one
(``pool_update_params``/``client_update_params``); the comparison only looks at what is declared.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ansible.module_utils.vf_module import Call, Plan, ReconcileError, deletion, tag_plan

# describe_user_pool fields update_user_pool takes and we do not manage: carried over unchanged.
POOL_CARRIED_FIELDS = (
    "LambdaConfig",
    "VerificationMessageTemplate",
    "EmailConfiguration",
    "SmsConfiguration",
    "DeviceConfiguration",
    "UserAttributeUpdateSettings",
    "UserPoolAddOns",
    "SmsAuthenticationMessage",
    "EmailVerificationMessage",
    "EmailVerificationSubject",
    "SmsVerificationMessage",
)
CLIENT_CARRIED_FIELDS = (
    "ReadAttributes",
    "WriteAttributes",
    "SupportedIdentityProviders",
    "CallbackURLs",
    "LogoutURLs",
    "DefaultRedirectURI",
    "AllowedOAuthFlows",
    "AllowedOAuthScopes",
    "AllowedOAuthFlowsUserPoolClient",
    "AnalyticsConfiguration",
    "AuthSessionValidity",
)


def desired_pool(options: Mapping[str, Any]) -> dict[str, Any]:
    """The managed user pool settings in describe_user_pool's shape."""
    policy = options.get("password_policy") or {}
    return {
        "Policies": {
            "PasswordPolicy": {
                "MinimumLength": int(policy.get("minimum_length", 8)),
                "RequireUppercase": bool(policy.get("require_uppercase", True)),
                "RequireLowercase": bool(policy.get("require_lowercase", True)),
                "RequireNumbers": bool(policy.get("require_numbers", True)),
                "RequireSymbols": bool(policy.get("require_symbols", False)),
                "TemporaryPasswordValidityDays": int(policy.get("temporary_password_validity_days", 7)),
            }
        },
        "AutoVerifiedAttributes": sorted(options.get("auto_verified_attributes") or []),
        "UsernameAttributes": sorted(options.get("username_attributes") or []),
        "MfaConfiguration": options.get("mfa", "OFF"),
        "AccountRecoverySetting": {
            "RecoveryMechanisms": [{"Priority": 1, "Name": "verified_email"}]
            if "email" in (options.get("auto_verified_attributes") or [])
            else [{"Priority": 1, "Name": "admin_only"}]
        },
        "AdminCreateUserConfig": {"AllowAdminCreateUserOnly": bool(options.get("admin_create_only", False))},
        "DeletionProtection": "ACTIVE" if options.get("deletion_protection") else "INACTIVE",
    }


def pool_of(pool: Mapping[str, Any]) -> dict[str, Any]:
    """A described pool reduced to the managed settings, normalized like ``desired_pool``."""
    password = (pool.get("Policies") or {}).get("PasswordPolicy") or {}
    recovery = (pool.get("AccountRecoverySetting") or {}).get("RecoveryMechanisms") or []
    return {
        "Policies": {
            "PasswordPolicy": {
                "MinimumLength": int(password.get("MinimumLength", 8)),
                "RequireUppercase": bool(password.get("RequireUppercase", False)),
                "RequireLowercase": bool(password.get("RequireLowercase", False)),
                "RequireNumbers": bool(password.get("RequireNumbers", False)),
                "RequireSymbols": bool(password.get("RequireSymbols", False)),
                "TemporaryPasswordValidityDays": int(password.get("TemporaryPasswordValidityDays", 7)),
            }
        },
        "AutoVerifiedAttributes": sorted(pool.get("AutoVerifiedAttributes") or []),
        "UsernameAttributes": sorted(pool.get("UsernameAttributes") or []),
        "MfaConfiguration": pool.get("MfaConfiguration", "OFF"),
        "AccountRecoverySetting": {
            "RecoveryMechanisms": sorted(
                ({"Priority": int(m["Priority"]), "Name": m["Name"]} for m in recovery),
                key=lambda m: m["Priority"],
            )
        },
        "AdminCreateUserConfig": {
            "AllowAdminCreateUserOnly": bool(
                (pool.get("AdminCreateUserConfig") or {}).get("AllowAdminCreateUserOnly", False)
            )
        },
        "DeletionProtection": pool.get("DeletionProtection", "INACTIVE"),
    }


IMMUTABLE_POOL_FIELDS = ("UsernameAttributes",)


def pool_changes(current: Mapping[str, Any] | None, desired: Mapping[str, Any]) -> list[str]:
    if current is None:
        return ["create"]
    have = pool_of(current)
    return [key for key, value in desired.items() if have.get(key) != value]


def pool_update_params(current: Mapping[str, Any], desired: Mapping[str, Any]) -> dict[str, Any]:
    """update_user_pool arguments: the declared settings plus the carried-over ones."""
    params = {k: current[k] for k in POOL_CARRIED_FIELDS if current.get(k)}
    params.update({k: v for k, v in desired.items() if k not in IMMUTABLE_POOL_FIELDS})
    params["UserPoolId"] = current["Id"]
    return params


def desired_client(options: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "ExplicitAuthFlows": sorted(options.get("auth_flows") or []),
        "AccessTokenValidity": int(options.get("access_token_minutes", 60)),
        "IdTokenValidity": int(options.get("id_token_minutes", 60)),
        "RefreshTokenValidity": int(options.get("refresh_token_days", 30)),
        "TokenValidityUnits": {"AccessToken": "minutes", "IdToken": "minutes", "RefreshToken": "days"},
        "PreventUserExistenceErrors": "ENABLED"
        if options.get("prevent_user_existence_errors", True)
        else "LEGACY",
        "EnableTokenRevocation": bool(options.get("enable_token_revocation", True)),
    }


def client_of(client: Mapping[str, Any]) -> dict[str, Any]:
    units = client.get("TokenValidityUnits") or {}
    return {
        "ExplicitAuthFlows": sorted(client.get("ExplicitAuthFlows") or []),
        "AccessTokenValidity": client.get("AccessTokenValidity"),
        "IdTokenValidity": client.get("IdTokenValidity"),
        "RefreshTokenValidity": client.get("RefreshTokenValidity"),
        "TokenValidityUnits": {
            "AccessToken": units.get("AccessToken", "hours"),
            "IdToken": units.get("IdToken", "hours"),
            "RefreshToken": units.get("RefreshToken", "days"),
        },
        "PreventUserExistenceErrors": client.get("PreventUserExistenceErrors", "LEGACY"),
        "EnableTokenRevocation": bool(client.get("EnableTokenRevocation", True)),
    }


def client_changes(current: Mapping[str, Any] | None, desired: Mapping[str, Any]) -> list[str]:
    if current is None:
        return ["create"]
    have = client_of(current)
    return [key for key, value in desired.items() if have.get(key) != value]


def client_update_params(current: Mapping[str, Any], desired: Mapping[str, Any]) -> dict[str, Any]:
    params = {k: current[k] for k in CLIENT_CARRIED_FIELDS if current.get(k) not in (None, [], {})}
    params.update(desired)
    params.update(
        UserPoolId=current["UserPoolId"], ClientId=current["ClientId"], ClientName=current["ClientName"]
    )
    return params


def jwks_url(region: str, pool_id: str) -> str:
    """Where AWS serves a pool's signing keys (locally the emulator's URL is configuration instead)."""
    return f"https://cognito-idp.{region}.amazonaws.com/{pool_id}/.well-known/jwks.json"


# --- the plan of vf_cognito_user_pool -------------------------------------------------------


def user_pool_plan(current: Mapping[str, Any], p: Mapping[str, Any], check_mode: bool) -> Plan:
    """What to do to a user pool and its app client. ``current``: ``pool`` (describe_user_pool
    or None), ``client`` (describe_user_pool_client or None) and ``region``."""
    pool, client, name = current["pool"], current["client"], p["name"]
    result = {"name": name, "user_pool_id": "", "user_pool_arn": "", "client_id": "", "jwks_url": ""}
    result["pool_name"] = name
    if pool:
        result.update(
            pool_name=pool.get("Name", name),  # a pool adopted under a previous name keeps it
            user_pool_id=pool["Id"],
            user_pool_arn=pool.get("Arn", ""),
            jwks_url=jwks_url(current["region"], pool["Id"]),
        )
    if client:
        result["client_id"] = client["ClientId"]
    if p["state"] == "absent":
        if pool and pool.get("DeletionProtection") == "ACTIVE":
            # AWS refuses it too (InvalidParameterException); said here, even in check mode, so a
            # teardown can stop before it removes anything else.
            raise ReconcileError(
                f"user pool {pool.get('Name', name)} has deletion protection: turn it off first"
                " (deletion_protection: false with state=present)",
                **result,
                deletion_protection=True,
            )
        delete = Call("cognito-idp", "delete_user_pool", {"UserPoolId": result["user_pool_id"]})
        return deletion(result, {"name": name} if pool else None, delete)
    want_pool, want_client = desired_pool(p), desired_client(p)
    changed_pool = pool_changes(pool, want_pool)
    if "UsernameAttributes" in changed_pool:
        raise ReconcileError(
            f"user pool {name}: UsernameAttributes cannot change on an existing pool", **result
        )
    tags = tag_plan((pool or {}).get("UserPoolTags") or {}, p["tags"], True)
    changed_client = client_changes(client, want_client)
    changes = [f"pool {c}" for c in changed_pool]
    changes += ["pool tags"] if pool and (tags["set"] or tags["remove"]) else []
    changes += [f"client {c}" for c in changed_client]
    before = {"pool": pool_of(pool), "client": client_of(client) if client else {}} if pool else {}
    after = {"pool": want_pool, "client": want_client}
    steps = {"pool": want_pool, "client": want_client, "tags": tags, "current_pool": pool}
    steps.update(
        update_pool=bool(pool) and changed_pool != [], update_client=bool(client) and changed_client != []
    )
    return Plan(changes, before, after, result, steps)
