"""`python -m portal_people.mails`: add the mails' new messages to each locale's catalogue.

The messages are those the templates mark with `_("...")` and those the people package marks
with `portal_people.mails.texts("...")`; translated ones are kept, new ones come untranslated.
"""

from __future__ import annotations

from babel.messages.catalog import Catalog
from portal_kit.messages import SOURCE_LOCALE, merge_into_catalogues

from portal_people.mails import PACKAGE
from portal_people.mails.catalogue import marked_messages, package_directory


def update() -> None:
    template = Catalog(locale=SOURCE_LOCALE)
    for message, context, where in marked_messages():
        template.add(message, locations=[(where, 0)], context=context)
    merge_into_catalogues(template, package_directory(), PACKAGE)


if __name__ == "__main__":
    update()
