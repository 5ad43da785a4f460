"""Every message a user of the tickets service reads is in the nb, sv, da and fi catalogues."""

from portal_kit.testing.catalogues import missing_translations, unmarked_messages


def test_every_message_is_translated_in_every_locale():
    assert missing_translations("portal_tickets") == []


def test_every_refusal_is_a_marked_message():
    assert unmarked_messages("portal_tickets") == []
