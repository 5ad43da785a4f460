"""Notification rules and delivery against in-memory fakes (no MongoDB, NATS or SMTP): who is
told of which event, in which language, never of their own action; ticket and invoice events
(of the shapes tickets and billing publish; the gateway tests use the real ones) plug in by
their rules; redelivery records nothing twice; a failing server delays mail with backoff, a
refusing one fails it with the reason; digests gather a day's mails; every mail text exists in
every locale."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from babel.dates import format_date, format_time
from hypothesis import given
from hypothesis import strategies as st
from portal_kit.messages import LOCALES, SOURCE_LOCALE, catalogue
from portal_people.adapters.mail_renderer import JinjaMailRenderer, MissingTemplate
from portal_people.domain.employee import Employee
from portal_people.domain.notifications import (
    KINDS,
    NO_ADDRESS,
    UNKNOWN_RECIPIENT,
    Mode,
    NotificationSettings,
    Preference,
    Status,
    retry_delay,
)
from portal_people.domain.organisation import OrganisationKind as Kind
from portal_people.mails import PACKAGE
from portal_people.mails.catalogue import marked_messages
from portal_people.service_layer.notifications import (
    DeliveryPolicy,
    DigestRound,
    MailDelivery,
    Notifier,
    appointment_time,
    without_addresses,
)

from .notification_fakes import (
    Clock,
    Directory,
    FlakyMailer,
    Orders,
    Outbox,
    PreferenceBook,
    Settings,
    event,
    tenant,
    user,
)

OPERATOR, EMMA, HOUSING = "jm-operator", "emma", "jm-housing"


class Posts:
    """Tickets' posts as each reader may read them (what the gateway would answer)."""

    def __init__(self) -> None:
        self.readable: dict[tuple[str, str], str] = {}
        self.asked: list[tuple[str, str, str]] = []

    async def text_for(self, reader, ticket_id: str, entry_id: str) -> str | None:
        self.asked.append((reader.id, ticket_id, entry_id))
        return self.readable.get((reader.id, entry_id))


class World:
    def __init__(self, settings: NotificationSettings | None = None) -> None:
        self.posts = Posts()
        self.clock = Clock()
        self.settings = Settings(settings or NotificationSettings())
        self.preferences = PreferenceBook()
        self.orders = Orders()
        self.outbox = Outbox()
        # The tenant offers nb, sv, da and en: a Finnish user reads its default, nb.
        self.directory = Directory(tenant(others=("sv", "da", "en")))
        for person in (
            user("pm", [(OPERATOR, Kind.OPERATOR, ("admin",))]),
            user("kundeansvarlig", [(OPERATOR, Kind.OPERATOR, ("user",))], locale="en"),
            user("emma-1", [(EMMA, Kind.CONTRACTOR, ("user",))]),
            user("emma-2", [(EMMA, Kind.CONTRACTOR, ("user",))], locale="sv"),
            user("kunde", [(HOUSING, Kind.CUSTOMER, ("user",))], locale="fi"),
            user("betaler", [(HOUSING, Kind.CUSTOMER, ("billing",))], locale="da"),
        ):
            self.directory.people[person.id] = person
        self.notifier = Notifier(
            settings=self.settings,
            orders=self.orders,
            directory=self.directory,
            preferences=self.preferences,
            outbox=self.outbox,
            renderer=JinjaMailRenderer(),
            public_url="https://portal.example",
            clock=self.clock,
            posts=self.posts,
        )

    def to(self, kind: str) -> dict[str, str]:
        """recipient -> locale of the kind's mails."""
        return {m.recipient_key: m.locale for m in self.outbox.of_kind(kind)}


def created(event_id: str = "e-created", **data: object) -> object:
    payload = {
        "order_id": "o-1",
        "number": "100234",
        "customer_organisation_id": HOUSING,
        "assignee_organisation_id": EMMA,
        "operator_contact_user_id": "pm",
        "created_by": "pm",
        **data,
    }
    return event("orders.order.created", payload, event_id=event_id)


async def test_an_order_sent_to_a_contractor_tells_its_members_in_their_language():
    world = World()
    assert await world.notifier.handle(created()) == 2
    assert world.to("order_sent") == {"user:emma-1": "nb", "user:emma-2": "sv"}
    mail = next(m for m in world.outbox.of_kind("order_sent") if m.locale == "nb")
    assert mail.subject == "JM: bestilling 100234 er sendt til deg"
    assert "https://portal.example/jm/orders/o-1" in mail.text
    assert mail.html is not None and 'href="https://portal.example/jm/orders/o-1"' in mail.html
    assert mail.sender_name == "JM" and mail.status is Status.QUEUED
    # Reassigned later: the new contractor's members hear of it too.
    reassigned = event(
        "orders.order.assigned",
        {"order_id": "o-1", "number": "100234", "assignee_organisation_id": EMMA},
        event_id="e-assigned",
    )
    assert await world.notifier.handle(reassigned) == 2


async def test_a_redelivered_event_records_nothing_twice():
    world = World()
    await world.notifier.handle(created())
    assert await world.notifier.handle(created()) == 0
    assert len(world.outbox.mails) == 2


async def test_the_contact_hears_of_a_contractors_comment_question_and_marked_status_only():
    world = World(NotificationSettings(attention_statuses=("deviation",)))
    await world.notifier.handle(created())

    comment = {"entry_id": "c", "visibility": "contractor", "attachment_count": 0}
    await world.notifier.handle(order_event("comment_added", "c1", author="emma-1", **comment))
    await world.notifier.handle(order_event("comment_added", "c2", author="pm", **comment))
    internal = {**comment, "visibility": "internal"}
    await world.notifier.handle(order_event("comment_added", "c3", author="emma-1", **internal))
    await world.notifier.handle(
        order_event("question_asked", "q1", entry_id="q", asked_by="emma-2")
    )
    moved = {"status_from": "received", "category": "open", "actor": "emma-1"}
    await world.notifier.handle(order_event("status_changed", "s1", status_to="deviation", **moved))
    await world.notifier.handle(order_event("status_changed", "s2", status_to="started", **moved))
    assert len(world.outbox.of_kind("order_comment")) == 1
    assert world.to("order_comment") == {"user:pm": "nb"}
    assert world.to("order_question") == {"user:pm": "nb"}
    assert len(world.outbox.of_kind("order_status")) == 1


async def test_the_account_manager_hears_of_a_customers_order_not_of_staffs():
    world = World(NotificationSettings(account_managers={HOUSING: "kundeansvarlig"}))
    await world.notifier.handle(created("by-staff", assignee_organisation_id=None))
    await world.notifier.handle(
        created("by-customer", created_by="kunde", assignee_organisation_id=None)
    )
    assert world.to("order_created") == {"user:kundeansvarlig": "en"}
    (mail,) = world.outbox.of_kind("order_created")
    assert mail.subject == "JM: new order 100234 from a customer"


async def test_nobody_is_told_of_their_own_action():
    world = World()
    await world.notifier.handle(created(created_by="emma-1"))
    assert world.to("order_sent") == {"user:emma-2": "sv"}


async def test_a_kind_turned_off_tells_nobody_and_a_role_default_applies():
    world = World(NotificationSettings(default_off={"user": ("order_sent",)}))
    await world.preferences.put("emma-2", Preference("order_sent", True))
    await world.notifier.handle(created())
    assert world.to("order_sent") == {"user:emma-2": "sv"}
    await world.preferences.put("emma-2", Preference("order_sent", False))
    await world.notifier.handle(created("again"))
    assert len(world.outbox.of_kind("order_sent")) == 1


async def test_a_disabled_kind_tells_nobody():
    world = World(NotificationSettings(disabled_kinds=("order_sent",)))
    assert await world.notifier.handle(created()) == 0


async def test_employees_hear_of_being_booked_and_unbooked_once_each():
    world = World()
    world.directory.staff["donald"] = Employee(
        id="donald",
        tenant="jm",
        organisation_id=HOUSING,
        first_name="Donald",
        last_name="Duck",
        email="donald@example.com",
    )
    await world.notifier.handle(created())
    booking = {
        "order_id": "o-1",
        "number": "100234",
        "booking_id": "b1",
        "booked": 1,
        "starts_at": "2026-12-03T09:00:00Z",
        "ends_at": "2026-12-03T09:30:00Z",
        "place": "Avonova Bergen",
    }
    on = event(
        "orders.order.booking_changed",
        {**booking, "employee_id": "donald", "capacity": 3},
        event_id="b-on",
    )
    await world.notifier.handle(on)
    await world.notifier.handle(on)  # redelivered: still 'booked'
    off = event(
        "orders.order.booking_changed",
        {**booking, "employee_id": "donald", "capacity": 3},
        event_id="b-off",
    )
    await world.notifier.handle(off)
    slot = event(
        "orders.order.booking_changed",
        {**booking, "employee_id": None, "capacity": 3},
        event_id="b-slot",
    )
    await world.notifier.handle(slot)
    assert world.to("booking_added") == {"employee:donald": "nb"}
    assert world.to("booking_removed") == {"employee:donald": "nb"}
    booked = world.outbox.of_kind("booking_added")[0]
    assert booked.to == "donald@example.com"
    # The time (in the tenant's time zone, Oslo) and the place name, in the tenant's language.
    assert (
        "Du er booket til en avtale torsdag 3. desember 2026, 10:00–10:30 på Avonova Bergen"
        in booked.text
    )
    removed = world.outbox.of_kind("booking_removed")[0]
    assert (
        "Du er tatt av avtalen torsdag 3. desember 2026, 10:00–10:30 på Avonova Bergen"
        in removed.text
    )


def order_event(name: str, event_id: str, **data: object) -> object:
    return event(
        f"orders.order.{name}", {"order_id": "o-1", "number": "100234", **data}, event_id=event_id
    )


async def test_a_changed_operator_contact_is_told_of_the_next_comment_and_the_old_one_not():
    world = World()
    world.directory.people["pm-2"] = user("pm-2", [(OPERATOR, Kind.OPERATOR, ("user",))])
    await world.notifier.handle(created())
    comment = {"entry_id": "e", "visibility": "contractor"}
    edited = {"fields": ["operator_contact"], "operator_contact_user_id": "pm-2"}
    await world.notifier.handle(order_event("edited", "ed1", **edited))
    await world.notifier.handle(order_event("comment_added", "c1", author="emma-1", **comment))
    assert world.to("order_comment") == {"user:pm-2": "nb"}
    # Another field edited: the contact stays; the contact taken off: nobody is told.
    await world.notifier.handle(order_event("edited", "ed2", fields=["description"]))
    await world.notifier.handle(order_event("comment_added", "c2", author="emma-1", **comment))
    assert len(world.outbox.of_kind("order_comment")) == 2
    gone = {"fields": ["operator_contact"], "operator_contact_user_id": None}
    await world.notifier.handle(order_event("edited", "ed3", **gone))
    await world.notifier.handle(order_event("comment_added", "c3", author="emma-1", **comment))
    assert len(world.outbox.of_kind("order_comment")) == 2


async def test_unknown_recipients_and_missing_addresses_are_failed_for_staff_to_see():
    world = World(NotificationSettings(account_managers={HOUSING: "gone"}))
    world.directory.people["emma-2"] = user(
        "emma-2", [(EMMA, Kind.CONTRACTOR, ("user",))], email=""
    )
    await world.notifier.handle(created(created_by="kunde"))
    reasons = {m.recipient_key: (m.status, m.last_error) for m in world.outbox.mails.values()}
    assert reasons["user:gone"] == (Status.FAILED, UNKNOWN_RECIPIENT)
    assert reasons["user:emma-2"] == (Status.FAILED, NO_ADDRESS)
    assert reasons["user:emma-1"] == (Status.QUEUED, None)
    assert (await world.outbox.failed(None, 10)).total == 2


# -- tickets and invoices: synthetic events of the shapes their rules read ------------------


async def test_ticket_creator_and_followers_hear_of_public_posts_and_status_never_internal():
    """Events of the shapes the tickets service publishes (its branch): `created`,
    `follower_added`/`follower_removed`, `post_added` (`internal`, `author_id`),
    `status_changed` (`changed_by`)."""
    world = World()
    ticket = {"ticket_id": "t-1", "number": "2026-0042"}

    async def publish(name: str, event_id: str, **data: object) -> None:
        await world.notifier.handle(
            event(f"tickets.ticket.{name}", {**ticket, **data}, event_id=event_id)
        )

    await publish(
        "created",
        "t-created",
        ticket_type="unclassified",
        status="new",
        organisation_id=HOUSING,
        created_by="kunde",
        private=False,
    )
    for follower in ("emma-2", "pm", "betaler"):
        await publish("follower_added", f"f-{follower}", follower_id=follower, added_by="kunde")
    await publish("follower_removed", "f-off", follower_id="betaler", removed_by="betaler")
    post = {"entry_id": "p", "author_side": "staff", "files": 0}
    await publish("post_added", "p1", author_id="pm", internal=False, **post)
    await publish("post_added", "p2", author_id="pm", internal=True, **post)
    await publish(
        "status_changed",
        "s1",
        from_status="new",
        to_status="closed",
        category="closed",
        changed_by="kunde",
    )
    # The creator (Finnish, a locale the tenant does not offer: nb) and the followers but the
    # author; nobody hears of the internal note; the one who changed the status is not told.
    assert world.to("ticket_post") == {"user:kunde": "nb", "user:emma-2": "sv"}
    assert len(world.outbox.of_kind("ticket_post")) == 2
    assert world.to("ticket_status") == {"user:emma-2": "sv", "user:pm": "nb"}
    assert "https://portal.example/jm/tickets/t-1" in world.outbox.of_kind("ticket_post")[0].text
    subject = next(m.subject for m in world.outbox.of_kind("ticket_post") if m.locale == "sv")
    assert subject == "JM: nytt svar i ärende 2026-0042"


async def test_a_ticket_post_mail_quotes_the_post_as_each_recipient_reads_it():
    world = World()
    created = {"ticket_id": "t-1", "number": "2026-0042", "organisation_id": HOUSING}
    await world.notifier.handle(
        event("tickets.ticket.created", {**created, "created_by": "kunde"}, event_id="t0")
    )
    await world.notifier.handle(
        event(
            "tickets.ticket.follower_added",
            {**created, "follower_id": "emma-2", "added_by": "kunde"},
            event_id="f0",
        )
    )
    long = "Prøv å <logge inn> på nytt. " + "ord " * 600
    world.posts.readable[("kunde", "p")] = long  # emma-2 may not read it (None)
    post = {**created, "entry_id": "p", "author_side": "staff", "files": 0, "internal": False}
    await world.notifier.handle(
        event("tickets.ticket.post_added", {**post, "author_id": "pm"}, event_id="p1")
    )
    # Read once per recipient, as that recipient.
    assert sorted(world.posts.asked) == [("emma-2", "t-1", "p"), ("kunde", "t-1", "p")]
    mails = {m.recipient_key: m for m in world.outbox.of_kind("ticket_post")}
    quoted = mails["user:kunde"]
    assert "> Prøv å <logge inn> på nytt." in quoted.text
    assert quoted.html is not None and "Prøv å &lt;logge inn&gt; på nytt." in quoted.html
    assert "<logge inn>" not in quoted.html
    shown = quoted.text.split("> ", 1)[1].split("\n")[0]
    assert len(shown) <= 1001 and shown.endswith("…")  # bounded, cut at a word
    assert "Prøv" not in mails["user:emma-2"].text  # not theirs to read: no quote
    assert mails["user:emma-2"].html is not None and "Prøv" not in mails["user:emma-2"].html


async def test_the_payers_billing_members_hear_of_an_invoice_issued_and_overdue():
    world = World()
    invoice = {"invoice_id": "i-1", "number": "AO2375", "payer_organisation_id": HOUSING}
    await world.notifier.handle(event("billing.invoice.issued", invoice, event_id="i1"))
    await world.notifier.handle(event("billing.invoice.overdue", invoice, event_id="i2"))
    assert world.to("invoice_issued") == {"user:betaler": "da"}
    assert world.outbox.of_kind("invoice_overdue")[0].subject == "JM: faktura AO2375 er forfalden"
    # A department's invoice: the billing members above it hear of it too (they see it).
    world.directory.parents["housing-east"] = HOUSING
    department = {**invoice, "invoice_id": "i-2", "payer_organisation_id": "housing-east"}
    await world.notifier.handle(event("billing.invoice.issued", department, event_id="i3"))
    assert len(world.outbox.of_kind("invoice_issued")) == 2


# -- delivery ----------------------------------------------------------------------------


async def test_a_server_that_is_down_delays_mail_with_backoff_and_never_drops_it():
    world = World()
    await world.notifier.handle(created())
    mailer = FlakyMailer()
    mailer.down = True
    delivery = MailDelivery(
        world.outbox,
        mailer,
        policy=DeliveryPolicy(retry_seconds=2, max_retry_seconds=10),
        clock=world.clock,
    )
    for _ in range(6):
        assert await delivery.round() == 0
        world.clock.advance(10)
    waiting = list(world.outbox.mails.values())
    assert all(m.status is Status.QUEUED and m.attempts == 6 for m in waiting)
    assert all(m.last_error and "Connect call failed" in m.last_error for m in waiting)
    assert (await world.outbox.failed(None, 10)).total == 2
    mailer.down = False
    assert await delivery.round() == 2
    assert await delivery.round() == 0
    assert len(mailer.sent) == 2
    assert all(m.status is Status.SENT and m.text == "" for m in world.outbox.mails.values())
    assert {m.message_id for m in mailer.sent} == {
        f"<{m}@portal.notifications>" for m in world.outbox.mails
    }


async def test_a_server_refusing_for_good_fails_the_mail_with_a_reason_without_the_address():
    world = World()
    await world.notifier.handle(created())
    mailer = FlakyMailer()
    mailer.refusing = True
    delivery = MailDelivery(
        world.outbox, mailer, policy=DeliveryPolicy(retry_seconds=1), clock=world.clock
    )
    for _ in range(3):
        await delivery.round()
        world.clock.advance(60)
    failed = list(world.outbox.mails.values())
    assert all(m.status is Status.FAILED for m in failed)
    assert all(m.last_error == "550 mailbox <address> unavailable" for m in failed)


@given(st.integers(min_value=1, max_value=200))
def test_backoff_doubles_and_stops_at_the_ceiling(attempts):
    delay = retry_delay(attempts, base=5, ceiling=300)
    assert timedelta(seconds=5) <= delay <= timedelta(seconds=300)
    assert delay <= retry_delay(attempts + 1, base=5, ceiling=300)


@given(
    st.datetimes(datetime(1900, 1, 1), datetime(2200, 1, 1), timezones=st.just(UTC)),
    st.timedeltas(min_value=timedelta(minutes=1), max_value=timedelta(days=2)),
    st.one_of(st.none(), st.text(max_size=30)),
    st.sampled_from(["nb", "sv", "da", "fi", "en"]),
)
def test_a_bookings_time_reads_in_the_tenants_zone_whatever_the_event_holds(
    start, length, junk, locale
):
    shown = appointment_time(
        {"starts_at": start.isoformat(), "ends_at": (start + length).isoformat()},
        tenant(),
        locale,
    )
    local = start.astimezone(ZoneInfo("Europe/Oslo"))
    assert format_date(local, "full", locale=locale) in shown
    assert format_time(local, "short", locale=locale) in shown
    # Missing or unreadable times (an older event) read as none, never as an error.
    junk_time = {"starts_at": junk, "ends_at": junk}
    assert isinstance(appointment_time(junk_time, tenant(), locale), str)
    assert appointment_time({}, tenant(), locale) == ""


def test_a_bookings_time_reads_as_each_locale_writes_dates_in_the_tenants_zone():
    slot = {"starts_at": "2026-12-03T08:00:00+00:00", "ends_at": "2026-12-03T08:30:00+00:00"}
    oslo, stockholm = tenant(), tenant()
    stockholm.configuration = stockholm.configuration.model_copy(
        update={"time_zone": "Europe/Stockholm"}
    )
    assert appointment_time(slot, oslo, "nb") == "torsdag 3. desember 2026, 09:00–09:30"
    assert appointment_time(slot, stockholm, "sv") == "torsdag 3 december 2026 09:00–09:30"
    summer = {"starts_at": "2026-06-30T22:30:00+00:00", "ends_at": "2026-07-01T07:00:00+00:00"}
    assert appointment_time(summer, stockholm, "sv") == (
        "onsdag 1 juli 2026 00:30–09:00"  # the next day in Stockholm (UTC+2 in summer)
    )
    overnight = {**summer, "starts_at": "2026-06-30T20:00:00+00:00"}
    assert appointment_time(overnight, oslo, "nb") == (
        "tirsdag 30. juni 2026, 22:00 – onsdag 1. juli 2026, 09:00"
    )


@given(st.emails())
def test_no_address_survives_in_a_reason(address):
    assert address not in without_addresses(f"550 5.1.1 <{address}>: user unknown")


async def test_a_digest_gathers_the_days_mails_into_one():
    world = World(NotificationSettings(digest_kinds=("order_sent",), digest_hour=7))
    await world.preferences.put("emma-1", Preference("order_sent", True, Mode.DIGEST))
    await world.notifier.handle(created("one"))
    await world.notifier.handle(created("two", order_id="o-2", number="100235"))
    waiting = [m for m in world.outbox.mails.values() if m.status is Status.DIGEST]
    assert len(waiting) == 2 and {m.recipient_key for m in waiting} == {"user:emma-1"}
    digests = DigestRound(
        world.outbox,
        lambda _tenant: world.outbox,
        JinjaMailRenderer(),
        lambda _tenant: world.directory.tenant(),
        clock=world.clock,
    )
    assert await digests.round() == 0  # not yet 07:00 tomorrow (Oslo)
    world.clock.advance(24 * 3600)
    assert await digests.round() == 1
    assert await digests.round() == 0
    (digest,) = world.outbox.of_kind("digest")
    assert digest.subject == "JM: din daglige oppsummering"
    assert "JM: bestilling 100235 er sendt til deg" in digest.text
    # Who did not choose a digest got theirs at once.
    assert world.to("order_sent")["user:emma-2"] == "sv"


# -- templates and catalogues --------------------------------------------------------------


def test_every_kind_has_a_template_and_an_unknown_one_is_an_error():
    renderer = JinjaMailRenderer()
    for kind in KINDS:
        for locale in LOCALES:
            rendered = renderer.render(kind, locale, {"portal": "P", "number": "1", "link": "x"})
            assert rendered.subject and rendered.text and rendered.html
    with pytest.raises(MissingTemplate):
        renderer.render("no_such_kind", "nb", {})


def test_every_mail_text_is_translated_in_every_locale():
    missing = []
    for template, context, where in marked_messages():
        for locale in LOCALES:
            if locale == SOURCE_LOCALE:
                continue
            found = catalogue(PACKAGE, locale)
            entry = None if found is None else found.get(template, context=context)
            if entry is None or not entry.string or entry.fuzzy:
                missing.append(f"{where}: {locale} lacks {template!r}")
    assert missing == []


@given(
    members=st.sets(st.sampled_from(["a", "b", "c", "d", "e"]), max_size=5),
    actor=st.sampled_from(["a", "b", "pm", "nobody"]),
    redeliveries=st.integers(min_value=1, max_value=3),
)
def test_the_contractors_members_but_the_actor_are_told_once_however_often_it_comes(
    members, actor, redeliveries
):
    world = World()
    for name in members:
        world.directory.people[name] = user(name, [("other", Kind.CONTRACTOR, ("user",))])

    async def run() -> None:
        for _ in range(redeliveries):
            await world.notifier.handle(
                created("e", assignee_organisation_id="other", created_by=actor)
            )

    asyncio.run(run())
    assert set(world.to("order_sent")) == {f"user:{m}" for m in members - {actor}}
    assert len(world.outbox.of_kind("order_sent")) == len(members - {actor})
