from portal_kit.domain import DomainError, ValidationFailed
from portal_kit.graphql import user_errors
from portal_kit.messages import Labelled, Message, Messages, code_label, locale_var, translate
from portal_kit.testing.catalogues import missing_translations, unmarked_messages
from portal_kit.values import check_reference, check_text

_ = Messages("portal_kit")


def test_a_marked_message_reads_as_english_and_translates_by_its_template() -> None:
    message = _("at most {max_length} characters", max_length=80)
    assert message == "at most 80 characters"
    assert translate(message, "nb") == "høyst 80 tegn"
    assert translate(message, "fi") == "enintään 80 merkkiä"
    assert translate(message, "en") == "at most 80 characters"


def test_a_locale_without_a_catalogue_and_a_plain_string_read_as_they_are() -> None:
    assert translate(_("this is required"), "de") == "this is required"
    assert translate("plain", "sv") == "plain"
    assert translate(Message("portal_kit", "not in any catalogue"), "da") == "not in any catalogue"


def test_parameters_that_are_messages_are_translated_too() -> None:
    noun = Messages("portal_kit")("this is required")
    assert translate(_("no such {what}", what=noun), "sv") == "finns inte: detta måste fyllas i"


def test_user_errors_speak_the_callers_language() -> None:
    problems: list[DomainError] = []
    for value, field in (("", "subject"), ("x" * 9, "title")):
        try:
            check_text(value, field=field, max_length=4)
        except DomainError as problem:
            problems.append(problem)
    token = locale_var.set("da")
    try:
        errors = user_errors(ValidationFailed(problems))
    finally:
        locale_var.reset(token)
    assert [(e.field, e.code, e.message) for e in errors] == [
        ("subject", "REQUIRED", "dette skal udfyldes"),
        ("title", "TOO_LONG", "højst 4 tegn"),
    ]


def test_a_refusal_keeps_its_english_text_outside_a_request() -> None:
    try:
        check_reference("not an id!", field="organisationId", what="organisation")
    except DomainError as problem:
        assert user_errors(problem)[0].message == "no such organisation"


def test_every_kit_message_exists_in_every_locale() -> None:
    assert missing_translations("portal_kit") == []
    assert unmarked_messages("portal_kit") == []


def test_a_code_label_is_the_catalogues_or_the_code_in_words() -> None:
    labels = {"required": Message("portal_kit", "this is required")}
    assert code_label(labels, "required", "sv") == "detta måste fyllas i"
    assert code_label(labels, "status_changed", "sv") == "Status changed"
    assert code_label({"new": _.label("status", "new")}, "new", "en") == "New"


def test_a_tenants_labelled_code_as_a_parameter_reads_as_the_tenants_label() -> None:
    status = Labelled("ordered", {"sv": "Beställd", "en": "Ordered"})
    message = _("no such {what}", what=status)
    assert message == "no such ordered"
    assert translate(message, "sv") == "finns inte: Beställd"
    assert translate(message, "en") == "no such Ordered"
    assert translate(message, "fi") == "ei löydy: Ordered"
