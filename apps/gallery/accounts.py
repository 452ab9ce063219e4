"""Sign up, confirm, sign in and refresh, through Cognito (USER_PASSWORD_AUTH).

Sign-up and sign-in are rate limited per client address and per account (videoforge.ratelimit),
and sign-up answers an address that already has an account exactly as it answers a new one:
the API never tells whether an address is registered.

Sign-in also sets the refresh token as a cookie the page's scripts cannot read (HttpOnly,
Secure, SameSite=Strict, sent only to the auth routes): the web client keeps no refresh token
in storage, refresh takes the cookie when the body names none, and sign-out clears it."""

from __future__ import annotations

import asyncio
import logging

from botocore.exceptions import ClientError
from quart import Blueprint, current_app, request
from quart_schema import document_response, validate_request, validate_response
from werkzeug.http import dump_cookie

from gallery.schemas import (
    Confirmed,
    ConfirmSignUp,
    Refresh,
    RefreshedTokens,
    SignIn,
    SignUp,
    SignUpResult,
    Tokens,
)
from videoforge.errors import ApiError, unauthorized
from videoforge.openapi import NoContent, errors
from videoforge.ratelimit import enforce
from videoforge.web import aws, settings, web_settings

log = logging.getLogger("gallery.accounts")
REFRESH_COOKIE = "vf_refresh"
# Cognito's default refresh token validity: the cookie lasts as long as the token it holds.
REFRESH_COOKIE_SECONDS = 30 * 24 * 3600
blueprint = Blueprint("accounts", __name__, url_prefix="/auth")

# Cognito's answers, as our errors. Unknown users and wrong passwords read the same.
_COGNITO_ERRORS = {
    "UsernameExistsException": (409, "user_exists", "an account with this email already exists"),
    "InvalidPasswordException": (400, "invalid_password", "the password does not meet the policy"),
    "InvalidParameterException": (400, "invalid_parameter", "the request was rejected by the user pool"),
    "CodeMismatchException": (400, "invalid_code", "the confirmation code is wrong"),
    "ExpiredCodeException": (400, "expired_code", "the confirmation code has expired"),
    "NotAuthorizedException": (401, "invalid_credentials", "wrong email, password or token"),
    "UserNotFoundException": (401, "invalid_credentials", "wrong email, password or token"),
    "UserNotConfirmedException": (403, "user_not_confirmed", "confirm the account first"),
    "TooManyRequestsException": (429, "too_many_requests", "too many requests, try again later"),
    "LimitExceededException": (429, "too_many_requests", "too many requests, try again later"),
}


async def _cognito(operation: str, **kwargs) -> dict:
    client = aws().cognito
    try:
        return await asyncio.to_thread(getattr(client, operation), **kwargs)
    except ClientError as exc:
        code = exc.response.get("Error", {}).get("Code", "")
        if code in _COGNITO_ERRORS:
            status, error_code, message = _COGNITO_ERRORS[code]
            raise ApiError(status, error_code, message) from None
        log.error("cognito %s failed: %s", operation, exc)
        raise ApiError(502, "identity_unavailable", "the identity provider did not answer") from None


@blueprint.post("/sign-up")
@validate_request(SignUp)
@validate_response(SignUpResult, 201)
@errors(429, 502)
async def sign_up(data: SignUp) -> tuple[SignUpResult, int]:
    """Create an account. With COGNITO_AUTO_CONFIRM=true it is confirmed at once (no email).
    An address that has an account already gets the same answer as a new one."""
    await enforce("sign_up", user=data.email.lower())
    conf = settings()
    auto_confirm = web_settings().cognito_auto_confirm
    try:
        result = await _cognito(
            "sign_up",
            ClientId=conf.cognito_client_id,
            Username=data.email,
            Password=data.password,
            UserAttributes=[{"Name": "email", "Value": data.email}],
        )
    except ApiError as exc:
        if exc.code != "user_exists":
            raise
        log.info("sign-up for an address that has an account")
        return SignUpResult(user_confirmed=auto_confirm), 201
    confirmed = bool(result.get("UserConfirmed"))
    if not confirmed and auto_confirm:
        await _cognito("admin_confirm_sign_up", UserPoolId=conf.cognito_user_pool_id, Username=data.email)
        confirmed = True
    return SignUpResult(user_confirmed=confirmed), 201


@blueprint.post("/confirm")
@validate_request(ConfirmSignUp)
@validate_response(Confirmed, 200)
@errors(401, 429, 502)
async def confirm(data: ConfirmSignUp) -> Confirmed:
    """Confirm an account with the emailed code."""
    await _cognito(
        "confirm_sign_up",
        ClientId=settings().cognito_client_id,
        Username=data.email,
        ConfirmationCode=data.code,
    )
    return Confirmed()


@blueprint.post("/sign-in")
@validate_request(SignIn)
@validate_response(Tokens, 200)
@errors(401, 403, 429, 502)
async def sign_in(data: SignIn) -> tuple[Tokens, int, dict[str, str]]:
    """Exchange email and password for Cognito tokens."""
    await enforce("sign_in", user=data.email.lower())
    result = await _cognito(
        "initiate_auth",
        ClientId=settings().cognito_client_id,
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": data.email, "PASSWORD": data.password},
    )
    tokens = result.get("AuthenticationResult")
    if not tokens:  # a challenge (e.g. NEW_PASSWORD_REQUIRED) this API does not support
        raise ApiError(
            403, "challenge_required", f"sign-in needs {result.get('ChallengeName', 'a challenge')}"
        )
    body = Tokens(
        access_token=tokens["AccessToken"],
        id_token=tokens["IdToken"],
        refresh_token=tokens["RefreshToken"],
        expires_in=int(tokens["ExpiresIn"]),
    )
    return body, 200, {"Set-Cookie": refresh_cookie(tokens["RefreshToken"], REFRESH_COOKIE_SECONDS)}


def refresh_cookie(value: str, max_age: int) -> str:
    return dump_cookie(
        REFRESH_COOKIE,
        value,
        max_age=max_age,
        path=f"{current_app.config['PREFIX']}/auth",
        secure=True,
        httponly=True,
        samesite="Strict",
    )


@blueprint.post("/refresh")
@validate_request(Refresh)
@validate_response(RefreshedTokens, 200)
@errors(401, 429, 502)
async def refresh(data: Refresh) -> RefreshedTokens:
    """New access and id tokens from a refresh token: the body's, else the cookie sign-in set."""
    token = data.refresh_token or request.cookies.get(REFRESH_COOKIE)
    if not token:
        raise unauthorized("sign in again: no refresh token")
    result = await _cognito(
        "initiate_auth",
        ClientId=settings().cognito_client_id,
        AuthFlow="REFRESH_TOKEN_AUTH",
        AuthParameters={"REFRESH_TOKEN": token},
    )
    tokens = result["AuthenticationResult"]
    return RefreshedTokens(
        access_token=tokens["AccessToken"], id_token=tokens["IdToken"], expires_in=int(tokens["ExpiresIn"])
    )


@blueprint.post("/sign-out")
@document_response(NoContent, 204)
async def sign_out() -> tuple[str, int, dict[str, str]]:
    """Clear the refresh token cookie (the web client's sign-out)."""
    return "", 204, {"Set-Cookie": refresh_cookie("", 0)}
