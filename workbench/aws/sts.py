"""STS credential types: assumed_role, federation_token, session_token.

Nothing is created in AWS, so there is nothing to delete: the credential
ends at AWS's expiry.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from workbench.aws.clients import AwsClients
from workbench.aws.errors import translate


@dataclass(frozen=True)
class StsCredentials:
    """Temporary credentials and the expiry AWS gave them."""

    access_key_id: str
    secret_access_key: str = field(repr=False)
    session_token: str = field(repr=False)
    expiration: float


def _credentials(answer: dict[str, Any]) -> StsCredentials:
    creds = answer["Credentials"]
    return StsCredentials(
        access_key_id=creds["AccessKeyId"],
        secret_access_key=creds["SecretAccessKey"],
        session_token=creds["SessionToken"],
        expiration=creds["Expiration"].timestamp(),
    )


def _policy_args(policy_document: str | None, policy_arns: tuple[str, ...]) -> dict[str, Any]:
    args: dict[str, Any] = {}
    if policy_document:
        args["Policy"] = policy_document
    if policy_arns:
        args["PolicyArns"] = [{"arn": arn} for arn in policy_arns]
    return args


def assume_role(
    clients: AwsClients,
    *,
    role_arn: str,
    session_name: str,
    duration: int,
    policy_document: str | None = None,
    policy_arns: tuple[str, ...] = (),
    session_tags: tuple[tuple[str, str], ...] = (),
    external_id: str | None = None,
) -> StsCredentials:
    args = {
        "RoleArn": role_arn,
        "RoleSessionName": session_name,
        "DurationSeconds": duration,
        **_policy_args(policy_document, policy_arns),
    }
    if session_tags:
        args["Tags"] = [{"Key": key, "Value": value} for key, value in session_tags]
    if external_id:
        args["ExternalId"] = external_id
    with translate(f"AssumeRole {role_arn}"):
        return _credentials(clients.sts.assume_role(**args))


def federation_token(
    clients: AwsClients,
    *,
    name: str,
    duration: int,
    policy_document: str | None = None,
    policy_arns: tuple[str, ...] = (),
) -> StsCredentials:
    args = {"Name": name, "DurationSeconds": duration, **_policy_args(policy_document, policy_arns)}
    with translate("GetFederationToken"):
        return _credentials(clients.sts.get_federation_token(**args))


def session_token(
    clients: AwsClients,
    *,
    duration: int,
    mfa_serial_number: str | None = None,
    mfa_code: str | None = None,
) -> StsCredentials:
    args: dict[str, Any] = {"DurationSeconds": duration}
    if mfa_serial_number:
        args["SerialNumber"] = mfa_serial_number
        args["TokenCode"] = mfa_code
    with translate("GetSessionToken"):
        return _credentials(clients.sts.get_session_token(**args))
