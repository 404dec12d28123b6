"""FieldInput: a text input that edits in exactly the order the keys were typed.

Textual's Input inserts a printable character as soon as the key reaches it, but its
editing keys (Backspace, Delete, arrows, Home, End...) are bindings: the key first
bubbles up through every container to the app, which then runs the action. A burst of
keys (a fast typist, a held Backspace, tmux send-keys, a slow SSH link delivering
several keys at once) is therefore applied out of order: "End, Backspace x5, 1.25"
became "1.25" followed by five deletions, an empty field. Here the input runs its own
editing bindings the moment the key arrives, in the same queue as the characters.

The keys that move focus away (Tab, Shift+Tab, Escape) are handled by the app with
priority while a FieldInput has focus (see ``VgtuiApp``), so the characters typed after
them land in the next field, not in this one.
"""
from __future__ import annotations

from textual import events
from textual.widgets import Input


class FieldInput(Input):
    """An Input whose own editing keys are applied in typing order."""

    async def _on_key(self, event: events.Key) -> None:
        bindings = self._bindings.key_to_bindings.get(event.key)
        if bindings and not event.is_printable:
            binding = bindings[0]
            if binding.action != "submit":  # Enter still posts Submitted the usual way
                event.stop()
                event.prevent_default()
                await self.run_action(binding.action)
                return
        await super()._on_key(event)
