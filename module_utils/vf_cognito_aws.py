"""The Cognito read and apply steps of vf_cognito_user_pool (what it compares is pure, in
vf_cognito)."""

from __future__ import annotations

from ansible.module_utils.vf_aws import AwsError, apply_tags
from ansible.module_utils.vf_cognito import client_update_params, jwks_url, pool_update_params


def client_name(p: dict) -> str:
    """The app client's name (``<pool>-app`` unless given)."""
    return p["client_name"] or f"{p['name']}-app"


def read_user_pool(aws, p: dict) -> dict:
    """The pool (by name, else by its first previous name found; more than one of a name is an
    error) and its app client (by name)."""
    idp = aws("cognito-idp")
    listed = idp.paginate("list_user_pools", "UserPools", MaxResults=60)
    pools = []
    for name in [p["name"], *p["previous_names"]]:
        pools = [x for x in listed if x["Name"] == name]
        if len(pools) > 1:
            raise AwsError("list_user_pools", "Ambiguous", f"{len(pools)} user pools are named {name}")
        if pools:
            break
    pool = idp.call("describe_user_pool", UserPoolId=pools[0]["Id"])["UserPool"] if pools else None
    client = None
    if pool:
        clients = idp.paginate(
            "list_user_pool_clients", "UserPoolClients", UserPoolId=pool["Id"], MaxResults=60
        )
        ids = [c["ClientId"] for c in clients if c["ClientName"] == client_name(p)]
        if ids:
            client = idp.call("describe_user_pool_client", UserPoolId=pool["Id"], ClientId=ids[0])[
                "UserPoolClient"
            ]
    return {"pool": pool, "client": client, "region": idp.client.meta.region_name}


def apply_user_pool(aws, plan, p: dict) -> dict:
    """Create or update the pool, its tags and its app client."""
    idp, steps = aws("cognito-idp"), plan.steps
    pool_id = plan.result["user_pool_id"]
    if not pool_id:
        create = {**steps["pool"], "PoolName": p["name"]}
        if p["tags"]:
            create["UserPoolTags"] = {k: str(v) for k, v in p["tags"].items()}
        pool = idp.call("create_user_pool", **create)["UserPool"]
    else:
        pool = steps["current_pool"]
        if steps["update_pool"]:
            idp.call("update_user_pool", **pool_update_params(pool, steps["pool"]))
        apply_tags(idp, "cognito-idp", pool["Arn"], steps["tags"]["set"], steps["tags"]["remove"])
    out = {"user_pool_id": pool["Id"], "user_pool_arn": pool.get("Arn", "")}
    out["jwks_url"] = jwks_url(idp.client.meta.region_name, pool["Id"])
    client_id = plan.result["client_id"]
    if not client_id:
        made = idp.call(
            "create_user_pool_client",
            UserPoolId=pool["Id"],
            ClientName=client_name(p),
            GenerateSecret=False,
            **steps["client"],
        )["UserPoolClient"]
        client_id = made["ClientId"]
    elif steps["update_client"]:
        client = idp.call("describe_user_pool_client", UserPoolId=pool["Id"], ClientId=client_id)[
            "UserPoolClient"
        ]
        idp.call("update_user_pool_client", **client_update_params(client, steps["client"]))
    return {**out, "client_id": client_id}
