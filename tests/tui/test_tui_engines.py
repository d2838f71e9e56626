"""The engine form: save config (the secret never shown), test connection, rotate, add."""

from __future__ import annotations

from typing import Any

from textual.widgets import Input, Static

from tests.tui.conftest import SIZE
from tests.tui.tui_helpers import open_pane, screen_text, settle
from workbench.domain.errors import AwsError
from workbench.tui.confirm import ConfirmScreen, PromptScreen
from workbench.tui.engine_form import EngineForm

NEW_SECRET = "a-brand-new-secret-value-0123456789"


async def test_save_engine_config(tui_service: Any, make_app: Any) -> None:
    app = make_app(tui_service)
    async with app.run_test(size=SIZE) as pilot:
        form = await open_pane(pilot, EngineForm)
        secret = form.query_one("#field-secret_key", Input)
        assert secret.value == "" and secret.password
        assert "root-secret-value-123" not in screen_text(app)
        form.query_one("#field-region", Input).value = "eu-west-1"
        form.query_one("#field-max_retries", Input).value = "5"
        form.query_one("#field-access_key", Input).value = "AKIANEWROOTKEY"
        secret.value = NEW_SECRET
        form.query_one("#field-lease", Input).value = "30m"
        await pilot.press("ctrl+s")
        await settle(pilot)
        engine = tui_service.engines.get("aws")
        assert engine.root.region == "eu-west-1"
        assert engine.root.max_retries == 5
        assert (engine.root.access_key, engine.root.secret_key) == ("AKIANEWROOTKEY", NEW_SECRET)
        assert engine.lease_config.lease == 1800
        assert secret.value == ""  # typed once, then gone
        assert NEW_SECRET not in screen_text(app)
        assert "stored (never shown)" in secret.placeholder


async def test_save_refuses_an_access_key_without_its_secret(
    tui_service: Any, make_app: Any
) -> None:
    app = make_app(tui_service)
    async with app.run_test(size=SIZE) as pilot:
        form = await open_pane(pilot, EngineForm)
        form.query_one("#field-access_key", Input).value = "AKIAOTHER"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert tui_service.engines.get("aws").root.access_key == "AKIAROOTEXAMPLE"
        assert any("secret key too" in n.message for n in app._notifications)


async def test_test_connection_shows_the_account_and_arn(tui_service: Any, make_app: Any) -> None:
    app = make_app(tui_service)
    async with app.run_test(size=SIZE) as pilot:
        form = await open_pane(pilot, EngineForm)
        await pilot.press("f5")
        await settle(pilot)
        result = str(form.query_one("#engine-result", Static).render())
        identity = tui_service.engines.test_connection("aws")
        assert identity["account"] in result
        assert identity["arn"] in result


async def test_an_aws_error_with_brackets_is_shown_literally(
    tui_service: Any, make_app: Any, monkeypatch: Any
) -> None:
    def refuse(engine: str) -> dict[str, str]:
        raise AwsError("AccessDenied: [bold]not[/bold] allowed on [link=x]arn[/link]")

    monkeypatch.setattr(tui_service.engines, "test_connection", refuse)
    app = make_app(tui_service)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await open_pane(pilot, EngineForm)
        await pilot.press("f5")
        await settle(pilot)
        from textual.widgets._toast import Toast

        await pilot.pause()
        [toast] = app.screen.query(Toast)
        shown = " ".join(str(toast.render()).split())
        assert "AccessDenied: [bold]not[/bold] allowed on [link=x]arn[/link]" in shown


async def test_rotate_root_asks_first(tui_service: Any, make_app: Any, iam: Any) -> None:
    iam.create_user(UserName="root-user")
    key = iam.create_access_key(UserName="root-user")["AccessKey"]
    tui_service.engines.write_root(
        "aws", access_key=key["AccessKeyId"], secret_key=key["SecretAccessKey"]
    )
    app = make_app(tui_service)
    async with app.run_test(size=SIZE) as pilot:
        await open_pane(pilot, EngineForm)
        await pilot.press("ctrl+r")
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("n")
        await settle(pilot)
        assert tui_service.engines.get("aws").root.access_key == key["AccessKeyId"]
        await pilot.press("ctrl+r")
        await pilot.press("y")
        await settle(pilot)
        rotated = tui_service.engines.get("aws").root.access_key
        assert rotated != key["AccessKeyId"]
        assert rotated in screen_text(app) or any(rotated in n.message for n in app._notifications)


async def test_add_an_engine_and_switch_to_it(tui_service: Any, make_app: Any) -> None:
    app = make_app(tui_service)
    async with app.run_test(size=SIZE) as pilot:
        await open_pane(pilot, EngineForm)
        await pilot.press("ctrl+n")
        assert isinstance(app.screen, PromptScreen)
        app.screen.query_one(Input).value = "prod"
        await pilot.press("enter")
        await settle(pilot)
        assert [e.name for e in tui_service.engines.list()] == ["aws", "prod"]
        assert app.engine == "prod"
        assert "engine prod" in screen_text(app)


async def test_a_bad_lease_config_is_told_in_the_forms_words(
    tui_service: Any, make_app: Any
) -> None:
    app = make_app(tui_service)
    async with app.run_test(size=SIZE) as pilot:
        form = await open_pane(pilot, EngineForm)
        form.query_one("#field-lease", Input).value = "2h"
        form.query_one("#field-lease_max", Input).value = "1h"
        await pilot.press("ctrl+s")
        await settle(pilot)
        messages = [n.message for n in app._notifications]
        assert any(
            "Lease (default TTL) is longer than Lease max" in message for message in messages
        ), messages
        assert not any("--lease" in message for message in messages)  # no CLI flag in the TUI
        assert tui_service.engines.get("aws").lease_config.lease != 7200
