"""The orders service's marker for messages a user reads (`portal_kit.messages`): every refusal
and every displayed code is written `_("...")` or `_.label(context, code)`, and its Norwegian,
Swedish, Danish and Finnish texts live in `portal_orders/locales/<locale>/LC_MESSAGES/`."""

from __future__ import annotations

from portal_kit.messages import Messages

_ = Messages("portal_orders")
