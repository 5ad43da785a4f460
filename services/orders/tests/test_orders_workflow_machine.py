"""Random action sequences by several roles over the JM and Familjebostäder workflows.

After every step: the order is valid for its workflow, the activity log only grew (old entries
unchanged), and the recorded events match the state change one to one — a refused action
changes nothing and records nothing.
"""

from __future__ import annotations

import copy
from datetime import UTC, date, datetime, timedelta

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule
from portal_kit.domain import DomainError
from portal_orders.adapters.configuration import shipped_configurations
from portal_orders.domain.order import Order, OrderDraft
from portal_orders.domain.workflow import ACTIVE_CATEGORIES, Actor, Category, Visibility

ACTORS = st.sampled_from(
    [Actor.CONTRACTOR, Actor.CONTRACTOR, Actor.STAFF, Actor.CUSTOMER, Actor.SYSTEM]
)
FIELDS = {
    "action_taken": st.sampled_from(["", "Byttet pakning", "Byttet pakning"]),
    "fault_type": st.sampled_from(["", "product_fault", "product_fault"]),
    "root_cause": st.sampled_from(["", "wear", "wear"]),
    "agreed_appointment": st.sampled_from([None, datetime(2025, 7, 1, 8, tzinfo=UTC)] * 2),
    "avser.properties": st.sampled_from(["", "ESF5545LOX", "ESF5545LOX"]),
    "avser.serial_number": st.sampled_from(["", "91155354902", "91155354902"]),
    "description": st.sampled_from(["Ny beskrivelse"]),
}


class WorkflowMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.now = datetime(2025, 6, 26, 8, tzinfo=UTC)
        self.order: Order
        self.workflow = None

    @initialize(tenant=st.sampled_from(["jm", "familjebostader"]), appliance=st.booleans())
    def create(self, tenant: str, appliance: bool) -> None:
        from portal_orders.domain.record import Avser

        configuration = shipped_configurations()[tenant]
        order_type = configuration.order_types[0]
        self.workflow = order_type.workflow
        self.order = Order.create(
            tenant=tenant,
            configuration=configuration,
            sequence=1,
            number="1",
            draft=OrderDraft(
                order_type=order_type.code,
                priority=configuration.default_priority,
                description="Lekker",
                customer_organisation_id="customer",
                order_date=date(2025, 6, 26),
                assignee_organisation_id="contractor",
                avser=Avser(unit="Diskmaskin", appliance=appliance),
            ),
            actor=Actor.STAFF,
            user="staff",
            now=self.now,
            expected_contact_date=date(2025, 7, 1),
            expected_delivery_date=date(2025, 7, 25),
        )
        assert [e.name for e in self.order.take_events()] == ["created"]
        self.log = list(self.order.activity)

    def attempt(self, action, expected_events) -> None:
        """Run an action; on success the events must be `expected_events(before, after)`."""
        before = copy.deepcopy(self.order)
        self.now += timedelta(minutes=7)
        try:
            action()
        except DomainError:
            assert self.order == before, "a refused action changed the order"
            assert self.order.take_events() == [], "a refused action recorded events"
            return
        events = [e.name for e in self.order.take_events()]
        assert events == expected_events(before, self.order), events
        assert len(self.order.activity) == len(before.activity) + 1

    @rule(
        actor=ACTORS,
        comment=st.sampled_from(["", "Venter på svar", "Venter på svar"]),
        fields=st.dictionaries(st.sampled_from(sorted(FIELDS)), st.just(None), max_size=6),
        data=st.data(),
    )
    def transition(self, actor, comment, fields, data) -> None:
        reachable = [t.target for t in self.workflow.transitions_from(self.order.status)]
        every = [s.code for s in self.workflow.statuses]
        # Mostly statuses the workflow offers from here, so sequences get somewhere.
        status = data.draw(
            st.sampled_from(reachable)
            if reachable and data.draw(st.integers(0, 4))
            else st.sampled_from(every)
        )
        changes = {name: data.draw(FIELDS[name]) for name in fields}

        def expected(before: Order, after: Order) -> list[str]:
            names = ["status_changed"]
            if after.status_category is Category.DONE:
                names.append("completed")
            if after.status_category is Category.CANCELLED:
                names.append("cancelled")
            return names

        self.attempt(
            lambda: self.order.transition(
                self.workflow,
                status,
                actor=actor,
                user=actor.value,
                now=self.now,
                comment=comment,
                changes=changes,
            ),
            expected,
        )

    @rule(actor=ACTORS, data=st.data())
    def transition_with_everything_filled_in(self, actor, data) -> None:
        reachable = [t.target for t in self.workflow.transitions_from(self.order.status)]
        if not reachable:
            return
        status = data.draw(st.sampled_from(reachable))
        changes = {
            "action_taken": "Byttet pakning",
            "fault_type": "product_fault",
            "root_cause": "wear",
            "agreed_appointment": datetime(2025, 7, 1, 8, tzinfo=UTC),
            "avser.properties": "ESF5545LOX",
            "avser.serial_number": "91155354902",
        }
        self.transition_to(actor, status, "Ferdig", changes)

    def transition_to(self, actor, status, comment, changes) -> None:
        def expected(before: Order, after: Order) -> list[str]:
            names = ["status_changed"]
            if after.status_category is Category.DONE:
                names.append("completed")
            if after.status_category is Category.CANCELLED:
                names.append("cancelled")
            return names

        self.attempt(
            lambda: self.order.transition(
                self.workflow,
                status,
                actor=actor,
                user=actor.value,
                now=self.now,
                comment=comment,
                changes=changes,
            ),
            expected,
        )

    @rule(actor=ACTORS, data=st.data())
    def note(self, actor, data) -> None:
        events = [e.code for e in self.workflow.note_events] or ["none"]
        code = data.draw(st.sampled_from([*events, "unknown"]))
        self.attempt(
            lambda: self.order.add_note(
                self.workflow, code, None, "", actor=actor, user=actor.value, now=self.now
            ),
            lambda b, a: ["note_added"],
        )

    @rule(actor=ACTORS)
    def question(self, actor) -> None:
        self.attempt(
            lambda: self.order.ask_question(
                "Hvorfor?", actor=actor, user=actor.value, now=self.now
            ),
            lambda b, a: ["question_asked"],
        )

    @rule(actor=ACTORS)
    def answer(self, actor) -> None:
        asked = [e.id for e in self.order.activity if e.kind == "question"] or ["nothing"]
        self.attempt(
            lambda: self.order.answer_question(
                asked[-1], "Fordi", actor=actor, user=actor.value, now=self.now
            ),
            lambda b, a: ["question_answered"],
        )

    @rule(actor=ACTORS, visibility=st.sampled_from([None, *Visibility]))
    def comment(self, actor, visibility) -> None:
        self.attempt(
            lambda: self.order.add_comment(
                "Hei", (), visibility, actor=actor, user=actor.value, now=self.now
            ),
            lambda b, a: ["comment_added"],
        )

    @rule(actor=ACTORS, name=st.sampled_from(sorted(FIELDS)), data=st.data())
    def edit(self, actor, name, data) -> None:
        value = data.draw(FIELDS[name])

        def expected(before: Order, after: Order) -> list[str]:
            return ["edited"]

        before = copy.deepcopy(self.order)
        try:
            changed = self.order.edit(
                self.workflow, {name: value}, actor=actor, user=actor.value, now=self.now
            )
        except DomainError:
            assert self.order == before and self.order.take_events() == []
            return
        events = [e.name for e in self.order.take_events()]
        assert events == (["edited"] if changed else [])

    @invariant()
    def the_order_is_valid(self) -> None:
        if self.workflow is None:
            return
        order = self.order
        status = self.workflow.status(order.status)
        assert order.status_category is status.category
        assert (order.closed_at is None) == (status.category in ACTIVE_CATEGORIES)
        if order.tenant == "jm" and order.status == "done":
            assert order.fault_type and order.root_cause and order.action_taken
        if order.tenant == "familjebostader" and order.status in ("done", "invoiced"):
            assert order.action_taken
            if order.avser and order.avser.appliance:
                assert order.avser.properties and order.avser.serial_number

    @invariant()
    def the_log_only_grew(self) -> None:
        if self.workflow is None:
            return
        assert self.order.activity[: len(self.log)] == self.log
        assert len(self.order.activity) >= len(self.log)
        times = [e.at for e in self.order.activity]
        assert times == sorted(times)
        self.log = list(self.order.activity)


TestWorkflowMachine = WorkflowMachine.TestCase
TestWorkflowMachine.settings = settings(max_examples=100, stateful_step_count=40, deadline=None)
