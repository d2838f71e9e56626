"""Text colours taken from the theme and kept readable on every shipped theme.

Text the workbench builds in Python (summaries, flags, findings) is styled
with the theme's variables (`bold $text-error`), never a fixed colour: `green`
or `dim` cannot be read on some themes. A widget's text is Textual Content
(`themed`), its variables looked up each time it is drawn; a table cell is a
Rich Text whose style (`theme_style`) is worked out when the cell is made, so
its owner builds the cells again when the theme changes (`follow_theme`).
Where a theme's own colour falls short of WCAG AA on the background it is
drawn on, theme_style moves it toward black or white until it reads (4.5:1).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from rich.style import Style
from textual.color import Color, ColorParseError
from textual.content import Content
from textual.dom import DOMNode

from workbench.domain.text import printable

if TYPE_CHECKING:
    from textual.app import App

    _Base = App[None]
else:
    _Base = object  # a mixin of WorkbenchApp

MIN_CONTRAST = 4.5  # WCAG 2 AA for text
# The theme's text colours, and the grounds text is drawn on (panes, dialogs, tables).
TEXT_VARIABLES = (
    "text-primary",
    "text-secondary",
    "text-accent",
    "text-warning",
    "text-error",
    "text-success",
)
GROUNDS = ("background", "surface", "panel")


def _luminance(color: Color) -> float:
    """WCAG 2 relative luminance."""

    def channel(value: int) -> float:
        scaled = value / 255
        return scaled / 12.92 if scaled <= 0.03928 else ((scaled + 0.055) / 1.055) ** 2.4

    return 0.2126 * channel(color.r) + 0.7152 * channel(color.g) + 0.0722 * channel(color.b)


def contrast_ratio(foreground: Color, background: Color) -> float:
    """WCAG 2 contrast ratio, 1 to 21."""
    light, dark = sorted((_luminance(foreground), _luminance(background)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def readable(color: Color, background: Color, *others: Color) -> Color:
    """`color` as drawn on `background`, moved toward black or white until it reads there
    (and on each of `others`)."""
    grounds = (background, *others)
    if color.ansi is not None or any(ground.ansi is not None for ground in grounds):
        return color  # the terminal's own palette: its contrast is not known here
    solid = background + color
    target = background.get_contrast_text(1.0)
    for step in range(11):
        mixed = solid.blend(target, step / 10)
        if all(contrast_ratio(mixed, ground) >= MIN_CONTRAST for ground in grounds):
            return mixed
    return target


def readable_variables(variables: dict[str, str]) -> dict[str, str]:
    """The theme's variables with each text colour made to read on every ground it has.

    `$text-muted` (`auto 60%`) gets the least opacity that reads on all of them,
    and `$workbench-muted` is that colour made solid, for Content: Textual draws
    an `auto` colour in Content at full strength. A theme in the terminal's own
    palette (ansi-dark, ansi-light) is left as it is.
    """
    adjusted = {**variables, "workbench-muted": variables.get("text-muted", "auto 60%")}
    try:
        base, *rest = (Color.parse(variables[name]) for name in GROUNDS)
        fixed = {name: Color.parse(variables[name]) for name in TEXT_VARIABLES}
    except (KeyError, ColorParseError):
        return adjusted
    if base.ansi is not None:
        return adjusted
    grounds = [base, *(base + ground for ground in rest)]
    for name, color in fixed.items():
        adjusted[name] = readable(color, *grounds).hex
    percent = next(
        (
            percent
            for percent in range(60, 101, 5)
            if all(
                contrast_ratio(ground + ground.get_contrast_text(percent / 100), ground)
                >= MIN_CONTRAST
                for ground in grounds
            )
        ),
        100,
    )
    adjusted["text-muted"] = f"auto {percent}%"
    surface = grounds[1]
    muted = surface + surface.get_contrast_text(percent / 100)
    adjusted["workbench-muted"] = readable(muted, *grounds).hex
    return adjusted


class ReadableThemeColors(_Base):
    """WorkbenchApp's theme variables: its text colours read (WCAG AA) on its own grounds."""

    def get_css_variables(self) -> dict[str, str]:
        variables = readable_variables(super().get_css_variables())
        self.theme_variables = variables
        return variables


def theme_color(value: str, background: Color) -> Color:
    """A theme variable's value (`#57A5E2`, `auto 60%`, `#E0E0E099`) as drawn on `background`."""
    base, _, percent = value.partition(" ")
    alpha = float(percent.rstrip("%")) / 100 if percent else 1.0
    if base == "auto":
        return background.get_contrast_text(alpha)
    return Color.parse(base).multiply_alpha(alpha)


def theme_style(node: DOMNode, spec: str) -> Style:
    """A Rich style written with one theme variable (`bold $text-error`), as `node` shows it."""
    words = spec.split()
    style = Style.parse(" ".join(word for word in words if not word.startswith("$")))
    variables = [word[1:] for word in words if word.startswith("$")]
    if not variables:
        return style
    _, background = node.background_colors
    color = theme_color(node.app.theme_variables[variables[-1]], background)
    return style + Style(color=readable(color, background).rich_color)


def follow_theme(node: DOMNode, rebuild: Callable[[], object]) -> None:
    """Call `rebuild` after each theme change (once the new theme's CSS is in place)."""
    node.app.theme_changed_signal.subscribe(node, lambda _theme: node.call_after_refresh(rebuild))


def themed(text: str, style: str = "") -> Content:
    """Outside text as literal Content in a theme style, worked out each time it is drawn.

    For a widget's text (a Static): it follows a theme change by itself, where
    a Rich style made by theme_style keeps the theme it was made in.
    """
    return Content.styled(printable(text, keep_newlines=True), style)
