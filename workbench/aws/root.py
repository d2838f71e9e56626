"""The engine's own credentials: rotate-root."""

from __future__ import annotations

from workbench.aws.clients import AwsClients
from workbench.aws.errors import translate
from workbench.aws.iam_user import IssuedKeys
from workbench.domain.errors import Conflict


def create_root_key(clients: AwsClients) -> tuple[str, IssuedKeys]:
    """Make a second key for the root user; refuse if it already has two."""
    iam = clients.iam
    with translate("GetUser"):
        user_name = iam.get_user()["User"]["UserName"]
    with translate("ListAccessKeys"):
        keys = iam.list_access_keys(UserName=user_name)["AccessKeyMetadata"]
    if len(keys) >= 2:
        raise Conflict(
            f"the root IAM user {user_name!r} already has two access keys; delete the unused "
            "one in AWS before rotating (AWS allows two per user)"
        )
    with translate("CreateAccessKey"):
        key = iam.create_access_key(UserName=user_name)["AccessKey"]
    return user_name, IssuedKeys(key["AccessKeyId"], key["SecretAccessKey"])


def delete_root_key(clients: AwsClients, user_name: str, access_key_id: str) -> None:
    """Delete the old root key (called with the new key's clients)."""
    with translate("DeleteAccessKey"):
        clients.iam.delete_access_key(UserName=user_name, AccessKeyId=access_key_id)
