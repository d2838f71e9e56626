"""Issuing credentials: the crash-safe iam_user sequence and the three STS types."""

from __future__ import annotations

from workbench.aws import iam_revoke
from workbench.aws import iam_user as aws_iam
from workbench.aws import sts as aws_sts
from workbench.domain import lifecycle
from workbench.domain.errors import AuditFailure, AwsError, InvalidInput, WorkbenchError
from workbench.domain.faults import fault_point
from workbench.domain.formatting import policy_size
from workbench.domain.models import CredentialType, Engine, Lease, LeaseState, Role
from workbench.domain.naming import LEASE_TAG, STORE_TAG, new_lease_id, render_username
from workbench.policy import PolicyKind
from workbench.policy.validate import SIZE_LIMITS
from workbench.service.base import ServicePart
from workbench.service.context import ServiceContext
from workbench.service.cred_cache import (
    DEFAULT_MIN_LEFT,
    CacheTag,
    CredentialCache,
    creds_path,
    request_data,
)
from workbench.service.formats import IssuedCredential
from workbench.service.guard import inline_policy
from workbench.service.lifecycle import LeaseLifecycle
from workbench.service.ttl import TtlDecision, decide_ttl

INLINE_POLICY_LIMIT = SIZE_LIMITS[PolicyKind.INLINE_USER]
FEDERATION_NAME_MAX = 32
IAM_TAGS_MAX = 50
OWN_TAGS = (STORE_TAG, LEASE_TAG)
PROPAGATING_NOTE = (
    "AWS has not confirmed the new key yet (IAM keys can take seconds to work "
    "everywhere); the lease shows `propagating` until the revoker's probe succeeds"
)


class Credentials(ServicePart):
    """`wb.creds`: Vault's `aws/creds/ROLE` and `aws/sts/ROLE`, fresh or from the cache."""

    def __init__(self, ctx: ServiceContext, lifecycle: LeaseLifecycle) -> None:
        super().__init__(ctx)
        self._lifecycle = lifecycle
        self._cache = CredentialCache(ctx, lifecycle, self._issue)

    def issue(
        self,
        engine_name: str,
        role_name: str,
        *,
        ttl: str | int | None = None,
        role_arn: str | None = None,
        mfa_code: str | None = None,
    ) -> IssuedCredential:
        """Issue one credential; its lease is stored before AWS is called."""
        engine = self._ctx.engine(engine_name)
        role = self._ctx.role(engine_name, role_name)
        return self._issue(engine, role, decide_ttl(engine, role, ttl), role_arn, mfa_code, None)

    def issue_cached(
        self,
        engine_name: str,
        role_name: str,
        *,
        ttl: str | int | None = None,
        role_arn: str | None = None,
        mfa_code: str | None = None,
        min_left: float | None = None,
    ) -> IssuedCredential:
        """A live lease the cache issued for this same request, else a fresh one for the cache.

        Reused while more than `min_left` of its TTL is left (default: a
        quarter); every use is audited. See `workbench.service.cred_cache`.
        """
        return self._cache.issue(
            engine_name,
            role_name,
            ttl=ttl,
            role_arn=role_arn,
            mfa_code=mfa_code,
            min_left=DEFAULT_MIN_LEFT if min_left is None else min_left,
        )

    def _issue(
        self,
        engine: Engine,
        role: Role,
        decision: TtlDecision,
        role_arn: str | None,
        mfa_code: str | None,
        cache: CacheTag | None,
    ) -> IssuedCredential:
        cache_key = cache.key if cache else None
        issued: list[Lease] = []
        try:
            with self._audit.operation(
                "read", creds_path(engine, role), request_data(decision, role_arn, mfa_code, cache)
            ) as op:
                if role.credential_type is CredentialType.IAM_USER:
                    lease = self._issue_iam_user(engine, role, decision.ttl, cache_key)
                else:
                    lease = self._issue_sts(
                        engine, role, decision.ttl, role_arn, mfa_code, cache_key
                    )
                issued.append(lease)
                response: dict[str, object] = {
                    "access_key": lease.access_key_id,
                    "secret_key": lease.secret_key,
                    "session_token": lease.session_token,
                    "lease_duration": lease.lease_duration,
                }
                if cache is not None:
                    response["cached"] = False
                op.respond(data=response, lease_id=lease.lease_id)
        except AuditFailure as failure:
            if issued:
                raise AuditFailure(f"{failure}; {self._withdraw(issued[0])}") from None
            raise
        warnings = [decision.warning] if decision.warning else []
        if lease.state is LeaseState.PROPAGATING:
            warnings.append(PROPAGATING_NOTE)
        return IssuedCredential(
            lease=lease,
            request_id=op.request_id,
            region=engine.root.region,
            iam_endpoint=engine.root.iam_endpoint,
            sts_endpoint=engine.root.sts_endpoint,
            warnings=warnings,
        )

    def _withdraw(self, lease: Lease) -> str:
        """End a credential whose issuance could not be audited; say what became of it.

        A credential nobody has on record must not stay alive until its TTL. Its
        revocation is audited if the devices take entries again, else not (see
        `LeaseLifecycle.withdraw`).
        """
        try:
            ended = self._lifecycle.withdraw(lease.lease_id)
        except WorkbenchError as error:
            return (
                f"withdrawing the new credential failed ({error}); the revoker retries "
                f"lease {lease.lease_id}"
            )
        if lease.credential_type.is_sts:
            warning = (ended.revocation or {}).get("warning")
            return (
                f"the new credential's lease {lease.lease_id} was ended ({ended.state.value}); "
                + (warning or "its session is denied in AWS")
            )
        return f"the new credential was withdrawn: its IAM user was deleted ({ended.state.value})"

    # -- iam_user -------------------------------------------------------------

    def _issue_iam_user(self, engine: Engine, role: Role, ttl: int, cache_key: str | None) -> Lease:
        now = self._ctx.clock()
        expire_time = now + ttl
        policy = inline_policy(
            role.policy_document, expire_time if engine.root.expiry_guard else None
        )
        if policy and policy_size(policy) > INLINE_POLICY_LIMIT:
            raise InvalidInput(
                f"role {role.name!r}: its inline policy with the expiry guard is "
                f"{policy_size(policy)} characters; IAM allows {INLINE_POLICY_LIMIT} (excluding "
                "whitespace). Move statements into managed policies (policy_arns)"
            )
        lease = Lease(
            lease_id=new_lease_id(engine.name, role.name),
            engine=engine.name,
            role=role.name,
            credential_type=role.credential_type,
            state=LeaseState.PENDING,
            issue_time=now,
            expire_time=expire_time,
            max_expire_time=now + engine.lease_config.lease_max,
            renewable=True,
            iam_user_name=render_username(
                engine.root.username_template, display_name=self._ctx.operator, role_name=role.name
            ),
            iam_user_path=role.user_path,
            owner=self._ctx.owner(),
            updated_time=now,
            issued_by=self._ctx.operator,
            cache_key=cache_key,
        )
        if len(role.iam_tags) > IAM_TAGS_MAX - len(OWN_TAGS):
            raise InvalidInput(
                f"role {role.name!r} has {len(role.iam_tags)} iam_tags; IAM allows "
                f"{IAM_TAGS_MAX} and the workbench adds {len(OWN_TAGS)} of its own, so keep "
                f"at most {IAM_TAGS_MAX - len(OWN_TAGS)}"
            )
        clashing = sorted(set(role.iam_tags) & set(OWN_TAGS))
        if clashing:
            raise InvalidInput(
                f"role {role.name!r}: iam_tags may not set {', '.join(clashing)}; "
                "the workbench sets it on every user it creates"
            )
        own_tags = ((STORE_TAG, self._ctx.store.store_id), (LEASE_TAG, lease.lease_id))
        plan = aws_iam.IamUserPlan(
            user_name=lease.iam_user_name or "",
            path=role.user_path,
            policy_document=policy,
            policy_arns=tuple(role.policy_arns),
            groups=tuple(role.iam_groups),
            tags=(*role.iam_tags.items(), *own_tags),
            permissions_boundary_arn=role.permissions_boundary_arn,
        )
        lease.created = iam_revoke.created_record(plan)
        self._ctx.store.leases.insert(lease)
        fault_point("lease.pending")
        clients = self._ctx.clients(engine)
        try:
            keys = aws_iam.create_user(clients, plan)
        except BaseException as error:
            self._lifecycle.roll_back(clients, lease, error)
            if isinstance(error, WorkbenchError | KeyboardInterrupt | SystemExit):
                raise
            raise AwsError(f"issuing {lease.lease_id} failed: {error}") from None
        fault_point("lease.keys")
        # With the readiness probe on, the lease is `propagating` until the
        # revoker's probe sees AWS accept the key; nobody waits for it here.
        lifecycle.issued(
            lease,
            access_key_id=keys.access_key_id,
            secret_key=keys.secret_access_key,
            probe=engine.root.probe_enabled,
            now=self._ctx.clock(),
        )
        self._ctx.store.leases.update(lease, secrets=True)
        return lease

    # -- STS ------------------------------------------------------------------

    def _issue_sts(
        self,
        engine: Engine,
        role: Role,
        ttl: int,
        role_arn: str | None,
        mfa_code: str | None,
        cache_key: str | None,
    ) -> Lease:
        clients = self._ctx.clients(engine)
        session_name: str | None = None
        kind = role.credential_type
        if kind is CredentialType.ASSUMED_ROLE:
            chosen = self._choose_role_arn(role, role_arn)
            session_name = render_username(
                engine.root.username_template, display_name=self._ctx.operator, role_name=role.name
            )
            creds = aws_sts.assume_role(
                clients,
                role_arn=chosen,
                session_name=session_name,
                duration=ttl,
                policy_document=role.policy_document,
                policy_arns=tuple(role.policy_arns),
                session_tags=tuple(role.session_tags.items()),
                external_id=role.external_id,
            )
        elif kind is CredentialType.FEDERATION_TOKEN:
            chosen = None
            session_name = render_username(
                engine.root.username_template,
                display_name=self._ctx.operator,
                role_name=role.name,
                max_length=FEDERATION_NAME_MAX,
            )
            creds = aws_sts.federation_token(
                clients,
                name=session_name,
                duration=ttl,
                policy_document=role.policy_document,
                policy_arns=tuple(role.policy_arns),
            )
        else:
            chosen = None
            if role.mfa_serial_number and not mfa_code:
                raise InvalidInput(
                    f"role {role.name!r} requires MFA: give {{field:mfa_code}}, the current "
                    f"code of {role.mfa_serial_number}",
                    field="mfa_code",
                )
            creds = aws_sts.session_token(
                clients,
                duration=ttl,
                mfa_serial_number=role.mfa_serial_number,
                mfa_code=mfa_code,
            )
        now = self._ctx.clock()
        lease = Lease(
            lease_id=new_lease_id(engine.name, role.name),
            engine=engine.name,
            role=role.name,
            credential_type=kind,
            state=LeaseState.ACTIVE,
            issue_time=now,
            expire_time=creds.expiration,
            max_expire_time=creds.expiration,
            renewable=False,
            access_key_id=creds.access_key_id,
            secret_key=creds.secret_access_key,
            session_token=creds.session_token,
            role_arn=chosen,
            updated_time=now,
            session_name=session_name,
            issued_by=self._ctx.operator,
            cache_key=cache_key,
        )
        self._ctx.store.leases.insert(lease)
        return lease

    @staticmethod
    def _choose_role_arn(role: Role, role_arn: str | None) -> str:
        if role_arn:
            if role_arn not in role.role_arns:
                raise InvalidInput(
                    f"{{field:role_arn}} {role_arn} is not one of the role_arns of role "
                    f"{role.name!r}: {', '.join(role.role_arns)}",
                    field="role_arn",
                )
            return role_arn
        if len(role.role_arns) == 1:
            return role.role_arns[0]
        raise InvalidInput(
            f"role {role.name!r} lists several role_arns; choose one with {{field:role_arn}}: "
            f"{', '.join(role.role_arns)}",
            field="role_arn",
        )
