"""What notification mails say: Jinja2 templates (`templates/`) and their gettext catalogues
(`locales/<locale>/LC_MESSAGES/messages.po`, nb, sv, da, fi; English is the template).

A template marks what a person reads with `_("...", name=value)`; the renderer
(`portal_people.adapters.mail_renderer`) translates it with `portal_kit.messages.translate`
in the recipient's language. The notification use cases mark their own refusals with `texts`
(kept apart from the package's `_` so that each catalogue has its own messages).
`python -m portal_people.mails` adds new messages of the templates and of `texts` to the
catalogues.
"""

from __future__ import annotations

from portal_kit.messages import Messages

PACKAGE = "portal_people.mails"
texts = Messages(PACKAGE)
