"""KeyFooter: Textual's Footer, rebuilt only when the keys it shows change.

Textual's Footer rebuilds all its key widgets whenever the screen's bindings *may* have
changed (every focus move, every mount that touches bindings): five rebuilds on a page's
first visit, about a fifth of that visit's time, each drawing the same keys again. This
one coalesces the signals into one check after the next refresh and rebuilds only when
the shown keys, their enabled state or their tooltips differ.

It also shows only the keys that fit whole: Textual's Footer lets the last ones run
under the palette key at the right edge, so at 80 columns a page could end its list
with "g scree" or "m meas". Keys that do not fit are hidden from the end (F1 lists
every key of the page, and the keys still work).
"""
from __future__ import annotations

from textual import events
from textual.screen import Screen
from textual.widgets import Footer


class KeyFooter(Footer):
    _shown: tuple | None = None
    _check_pending = False

    def shown_keys(self) -> tuple:
        """What the footer draws: every shown binding with its state, in order."""
        keys = tuple((binding, enabled, tooltip)
                     for _node, binding, enabled, tooltip in self.screen.active_bindings.values()
                     if binding.show)
        palette = self.screen.active_bindings.get(self.app.COMMAND_PALETTE_BINDING)
        return keys, palette[1:] if palette else None, self.show_command_palette, self.compact

    def bindings_changed(self, screen: Screen) -> None:
        self._bindings_ready = True
        if not screen.app.app_focus:
            return
        if self.is_attached and screen is self.screen and not self._check_pending:
            self._check_pending = True
            self.call_after_refresh(self._rebuild_if_changed)

    async def _rebuild_if_changed(self) -> None:
        self._check_pending = False
        if not self.is_attached:
            return
        shown = self.shown_keys()
        if shown == self._shown:
            return
        self._shown = shown
        await self.recompose()
        self._fit()

    def _on_resize(self, event: events.Resize) -> None:
        self._fit()

    def _keys(self) -> list:
        return [child for child in self.children if not child.has_class("-command-palette")]

    def _fit(self) -> None:
        """Show every key, then, once they are laid out, hide the ones that end past the
        room the palette key leaves."""
        for child in self._keys():
            child.display = True
        self.call_after_refresh(self._hide_overflow)

    def _hide_overflow(self) -> None:
        if not self.is_attached or not self.region.width:
            return
        right = self.region.right
        for child in self.children:
            if child.has_class("-command-palette") and child.display:
                right -= child.outer_size.width
        past = False
        for child in self._keys():
            # once one key does not fit, none after it is shown (the order is the page's)
            past = past or child.region.right > right
            if past:
                child.display = False
