"""Errors carry their field and hint; each face phrases them in its own words."""

from __future__ import annotations

import pytest

from workbench.cli.common import cli_message
from workbench.domain.durations import parse_duration
from workbench.domain.errors import InvalidInput, NotFound
from workbench.tui.display import error_text


def test_a_duration_error_names_the_field_each_faces_way() -> None:
    with pytest.raises(InvalidInput) as caught:
        parse_duration("soon", field="lease_max")
    assert caught.value.field == "lease_max"
    assert cli_message(caught.value).startswith("--lease-max ")
    assert error_text(caught.value).startswith("Lease max ")
    assert "{field:" not in str(caught.value)


def test_a_hint_is_a_command_in_the_cli_and_a_key_in_the_tui() -> None:
    error = NotFound("role 'web' not found", hint="list_roles", hint_args={"engine": "aws"})
    assert cli_message(error) == (
        "role 'web' not found; `workbench role list --engine aws` shows the roles"
    )
    assert "Roles pane (2)" in error_text(error)
    assert "workbench role" not in error_text(error)


def test_outside_text_in_a_message_is_left_as_it_is() -> None:
    error = InvalidInput("tag {x} and {field:unknown_thing} and {0}", field="unknown_thing")
    assert error_text(error) == "tag {x} and unknown thing and {0}"
    assert cli_message(error) == "tag {x} and --unknown-thing and {0}"
