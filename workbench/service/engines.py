"""Engines and their config: Vault's mounts, `config/root` and `config/lease`."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlparse

from workbench.aws import root as aws_root
from workbench.domain.durations import parse_duration
from workbench.domain.errors import Conflict, InvalidInput
from workbench.domain.models import Engine, LeaseConfig, RootConfig
from workbench.domain.naming import check_template
from workbench.service.base import ServicePart
from workbench.service.roles import check_name

REGION_RE = re.compile(r"^[a-z]{2}(-gov|-iso[a-z]*)?-[a-z]+-\d$")


def _check_endpoint(field: str, url: str | None) -> str | None:
    if not url:
        return None
    parsed = urlparse(url)
    if parsed.scheme not in {"http", "https"} or not parsed.netloc:
        raise InvalidInput(
            f"{{field:{field}}} {url!r} is not an http(s) URL, e.g. https://iam.amazonaws.com",
            field=field,
        )
    return url.rstrip("/")


class Engines(ServicePart):
    """`wb.engines`: enable, disable, list and configure engines."""

    def list(self) -> list[Engine]:
        return self._ctx.store.engines.list()

    def get(self, name: str) -> Engine:
        return self._ctx.engine(name, enabled=False)

    def enable(self, name: str) -> Engine:
        """Create engine `name`, or turn a disabled one back on (its roles kept)."""
        check_name("engine", name)
        with self._audit.operation("update", f"sys/mounts/{name}", {"type": "aws"}):
            engine = self._ctx.store.engines.get(name)
            if engine is not None and engine.enabled:
                raise Conflict(f"engine {name!r} is already enabled")
            if engine is None:
                engine = Engine(name=name)
            engine.enabled = True
            self._ctx.store.engines.put(engine)
        return engine

    def disable(self, name: str) -> Engine:
        """Turn an engine off; refused while it has live leases (revoke them first)."""
        engine = self._ctx.engine(name)
        live = self._ctx.store.leases.count_live(f"{name}/")
        if live:
            raise Conflict(
                f"engine {name!r} has {live} live lease(s); revoke them first",
                hint="revoke_prefix",
                hint_args={"prefix": f"{name}/"},
            )
        with self._audit.operation("delete", f"sys/mounts/{name}"):
            engine.enabled = False
            self._ctx.store.engines.put(engine)
        return engine

    def point_at(
        self, engine_name: str, url: str, *, access_key: str, secret_key: str, **changes: Any
    ) -> RootConfig:
        """Root keys, with IAM and STS both at `url`: an embedded or local AWS (moto)."""
        return self.write_root(
            engine_name,
            access_key=access_key,
            secret_key=secret_key,
            iam_endpoint=url,
            sts_endpoint=url,
            **changes,
        )

    def write_root(self, engine_name: str, **changes: Any) -> RootConfig:
        """Change the given fields of `config/root`; the others stay as they are.

        Fields: access_key + secret_key, profile, region, iam_endpoint,
        sts_endpoint, max_retries, username_template, expiry_guard,
        readiness_probe, dead_key_probe.
        """
        engine = self._ctx.engine(engine_name, enabled=False)
        root = engine.root
        unknown = set(changes) - set(RootConfig.__dataclass_fields__)
        if unknown:
            raise InvalidInput(f"unknown root config field(s): {', '.join(sorted(unknown))}")
        given = dict(changes)
        if ("access_key" in given) != ("secret_key" in given):
            raise InvalidInput(
                "give {field:access_key} and {field:secret_key} together", field="secret_key"
            )
        if given.get("access_key") and given.get("profile"):
            raise InvalidInput(
                "give either {field:access_key} and {field:secret_key} or {field:profile}, "
                "not both",
                field="profile",
            )
        if "region" in given and not REGION_RE.fullmatch(given["region"] or ""):
            raise InvalidInput(
                f"{{field:region}} {given['region']!r} is not an AWS region, e.g. us-east-1",
                field="region",
            )
        for option in ("iam_endpoint", "sts_endpoint"):
            if option in given:
                given[option] = _check_endpoint(option, given[option])
        retries = given.get("max_retries", 0)
        if isinstance(retries, bool) or not isinstance(retries, int) or not 0 <= retries <= 20:
            raise InvalidInput("max retries must be a whole number between 0 and 20")
        if "username_template" in given:
            check_template(given["username_template"])
        audit_data = {key: value for key, value in given.items() if value is not None}
        with self._audit.operation("update", f"{engine_name}/config/root", audit_data):
            if given.get("access_key"):
                root.profile = None
            if given.get("profile"):
                root.access_key = root.secret_key = None
            for key, value in given.items():
                setattr(root, key, value)
            self._ctx.store.engines.put(engine)
        return root

    def write_lease(self, engine_name: str, lease: str, lease_max: str) -> LeaseConfig:
        engine = self._ctx.engine(engine_name, enabled=False)
        config = LeaseConfig(
            lease=parse_duration(lease, field="lease"),
            lease_max=parse_duration(lease_max, field="lease_max"),
        )
        if config.lease <= 0 or config.lease_max <= 0:
            raise InvalidInput(
                "{field:lease} and {field:lease_max} must be longer than 0s", field="lease"
            )
        if config.lease > config.lease_max:
            raise InvalidInput(
                "{field:lease} is longer than {field:lease_max}; the default cannot exceed the cap",
                field="lease",
            )
        data = {"lease": str(config.lease), "lease_max": str(config.lease_max)}
        with self._audit.operation("update", f"{engine_name}/config/lease", data):
            engine.lease_config = config
            self._ctx.store.engines.put(engine)
        return config

    def read_config(self, engine_name: str) -> dict[str, Any]:
        """`config read`: root and lease config, never the secret key."""
        engine = self._ctx.engine(engine_name, enabled=False)
        with self._audit.operation("read", f"{engine_name}/config/root") as op:
            view = {
                "engine": engine.name,
                "enabled": engine.enabled,
                **engine.root.public_view(),
                "lease": engine.lease_config.lease,
                "lease_max": engine.lease_config.lease_max,
            }
            op.respond(data=view)
        return view

    def test_connection(self, engine_name: str) -> dict[str, str]:
        """sts:GetCallerIdentity with the engine's root credentials."""
        engine = self._ctx.engine(engine_name, enabled=False)
        with self._audit.operation("read", f"{engine_name}/config/root/identity") as op:
            identity = self._ctx.clients(engine).caller_identity()
            op.respond(data=identity)
        return identity

    def rotate_root(self, engine_name: str) -> str:
        """Replace the stored root key with a new one; returns the new access key id."""
        engine = self._ctx.engine(engine_name, enabled=False)
        root = engine.root
        if not (root.access_key and root.secret_key):
            raise InvalidInput(
                f"engine {engine_name!r} has no stored access key to rotate (it uses "
                "a profile or the ambient credential chain)"
            )
        old_key = root.access_key
        with self._audit.operation("update", f"{engine_name}/config/rotate-root") as op:
            clients = self._ctx.clients(engine)
            user_name, new_key = aws_root.create_root_key(clients)
            root.access_key, root.secret_key = new_key.access_key_id, new_key.secret_access_key
            self._ctx.store.engines.put(engine)
            aws_root.delete_root_key(self._ctx.clients(engine), user_name, old_key)
            op.respond(data={"access_key": new_key.access_key_id})
        return new_key.access_key_id
