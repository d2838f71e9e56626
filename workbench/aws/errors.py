"""Turn botocore's exceptions into one-line AwsError messages without secrets."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from workbench.domain.errors import AwsError


class AwsCallError(AwsError):
    """An AWS API error with its code kept for callers that branch on it."""

    def __init__(
        self, message: str, code: str, *, definite: bool = False, hint: str | None = None
    ) -> None:
        super().__init__(message, hint=hint)
        self.code = code
        # True when the call certainly changed nothing in AWS (AWS answered
        # with an error, or nothing was sent); False when it may have landed.
        self.definite = definite
        self.first_step = False  # set by a sequence when its first call failed
        self.retry_attempts = 0  # how many times botocore had retried before this answer


def error_code(error: BaseException) -> str | None:
    """The AWS error code of a botocore ClientError (or our AwsCallError)."""
    if isinstance(error, AwsCallError):
        return error.code
    response = getattr(error, "response", None)
    if isinstance(response, dict):
        code = response.get("Error", {}).get("Code")
        return str(code) if code else None
    return None


@contextmanager
def translate(action: str) -> Iterator[None]:
    """Re-raise botocore failures during `action` as AwsError."""
    from botocore.exceptions import (
        BotoCoreError,
        ClientError,
        EndpointConnectionError,
        NoCredentialsError,
        ProfileNotFound,
    )
    from botocore.parsers import ResponseParserError

    try:
        yield
    except ClientError as error:
        code = error_code(error) or "Unknown"
        message = error.response.get("Error", {}).get("Message") or str(error)
        credentials = code in {"InvalidClientTokenId", "SignatureDoesNotMatch", "AccessDenied"}
        refused = AwsCallError(
            f"AWS refused {action}: {code}: {message}",
            code,
            definite=True,
            hint="check_root" if credentials else None,
        )
        refused.retry_attempts = int(
            error.response.get("ResponseMetadata", {}).get("RetryAttempts", 0) or 0
        )
        raise refused from None
    except EndpointConnectionError as error:
        raise AwsCallError(
            f"AWS could not be reached for {action}: {error}; "
            "check the endpoint URL and the network",
            "EndpointConnectionError",
        ) from None
    except NoCredentialsError:
        raise AwsCallError(
            f"no AWS credentials for {action}",
            "NoCredentials",
            definite=True,
            hint="set_root",
        ) from None
    except ProfileNotFound as error:
        raise AwsCallError(
            str(error), "ProfileNotFound", definite=True, hint="check_profile"
        ) from None
    except ResponseParserError:
        raise AwsCallError(
            f"the endpoint gave an unreadable answer to {action} (not implemented there?)",
            "ResponseParserError",
        ) from None
    except BotoCoreError as error:
        raise AwsCallError(
            f"AWS call failed during {action}: {error}", type(error).__name__
        ) from None
