"""What the gallery's OpenAPI document can only learn from the running service: the upload
settings (accepted content types, largest size) and the user pool's password policy."""

from __future__ import annotations

import logging
from typing import Any

from quart import Quart

log = logging.getLogger("gallery.openapi")

# Cognito's symbols (https://docs.aws.amazon.com/cognito/latest/developerguide/user-pool-settings-policies.html).
_SYMBOLS = r"""\^$*.\[\]{}()?"!@#%&/\\,><':;|_~`=+\- """


def _request_schema(document: dict[str, Any], prefix: str, path: str) -> dict[str, Any]:
    return document["paths"][prefix + path]["post"]["requestBody"]["content"]["application/json"]["schema"][
        "properties"
    ]


def password_pattern(policy: dict[str, Any]) -> str:
    """The pool's password policy as a regular expression (lookaheads: ECMA and Python)."""
    required = [
        ("RequireLowercase", "[a-z]"),
        ("RequireUppercase", "[A-Z]"),
        ("RequireNumbers", "[0-9]"),
        ("RequireSymbols", f"[{_SYMBOLS}]"),
    ]
    ahead = "".join(f"(?=[\\s\\S]*{chars})" for key, chars in required if policy.get(key))
    return f"^{ahead}[\\s\\S]{{{int(policy.get('MinimumLength', 8))},}}$"


def add_document_hooks(app: Quart) -> None:
    settings = app.extensions["web_settings"]
    aws = app.extensions["aws"]
    pool_id = app.extensions["settings"].cognito_user_pool_id
    prefix = app.config["PREFIX"]
    policy: dict[str, Any] = {}

    def uploads(document: dict[str, Any]) -> None:
        upload = _request_schema(document, prefix, "/generate-upload-url")
        upload["contentType"]["enum"] = list(settings.upload_allowed_types)
        upload["size"]["maximum"] = settings.upload_max_bytes

    def passwords(document: dict[str, Any]) -> None:
        if not policy:
            try:
                pool = aws.cognito.describe_user_pool(UserPoolId=pool_id)["UserPool"]
                policy.update(pool.get("Policies", {}).get("PasswordPolicy", {}))
            except Exception as exc:  # the document is still served, without the policy
                log.warning("cannot read the user pool's password policy: %s", exc)
                return
        _request_schema(document, prefix, "/auth/sign-up")["password"]["pattern"] = password_pattern(policy)

    app.extensions["openapi_hooks"] += [uploads, passwords]
