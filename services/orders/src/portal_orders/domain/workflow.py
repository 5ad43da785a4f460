"""Order types and workflows as data: one tenant's configuration document, checked at load.

A configuration document (JSON, versioned) names the tenant's order types; each type runs one
workflow of statuses (stable code, category, labels per locale) and transitions (from, to, which
actors may take them, the fields they require, always or when a fact of the order holds, whether
a comment is required), plus the predefined note events with their phrases. The tenant's
close-out codes are the lists its pickers offer for a close-out field (JM's Feiltype and
Rotårsak), each code with a label in every locale of the tenant; free text only where the
document says so. `parse_configuration` refuses a document with any inconsistency and names
every problem, so a bad document never reaches a running service.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from portal_kit.documents import ConfigurationError, DocumentReader, Labels, label_in

LOCALES = ("nb", "sv", "da", "fi", "en")


class Category(StrEnum):
    NEW = "new"
    OPEN = "open"
    WAITING = "waiting"
    DONE = "done"
    REJECTED = "rejected"
    CANCELLED = "cancelled"
    INVOICED = "invoiced"


ACTIVE_CATEGORIES = frozenset({Category.NEW, Category.OPEN, Category.WAITING})
COMPLETED_CATEGORIES = frozenset({Category.DONE, Category.REJECTED, Category.INVOICED})


class Actor(StrEnum):
    STAFF = "staff"
    CONTRACTOR = "contractor"
    CUSTOMER = "customer"
    SYSTEM = "system"


class Visibility(StrEnum):
    """Who sees an activity-log entry besides the operator's staff."""

    INTERNAL = "internal"
    CONTRACTOR = "contractor"
    RESIDENT = "resident"


# Fields a transition may require; the names are those of the order record.
REQUIRABLE_FIELDS = frozenset(
    {
        "action_taken",
        "fault_type",
        "root_cause",
        "agreed_appointment",
        "planned_date",
        "avser.properties",
        "avser.serial_number",
    }
)
# Yes/no facts of an order a conditional requirement may depend on.
CONDITIONS = frozenset({"avser.appliance"})
# Close-out fields a tenant may give a list of codes (a picker) instead of free text.
CODED_FIELDS = frozenset({"fault_type", "root_cause"})
# The kinds of activity-log entry (`record.EntryKind`), which a tenant may word in its own way.
ENTRY_KINDS = frozenset(
    {
        "created",
        "assigned",
        "status_changed",
        "edited",
        "note",
        "question",
        "answer",
        "comment",
        "sla_breached",
        "booking",
    }
)
# What a tenant's label of a status change may name: the status the order went to.
STATUS_PLACEHOLDER = "{status}"


@dataclass(frozen=True)
class Status:
    code: str
    category: Category
    labels: Labels
    terminal: bool = False
    # The plural heading of a list of orders in this status (Familjebostäder's dashboard rows:
    # 'Beställda' for 'Beställd').
    list_labels: Labels = field(default_factory=dict)

    def label(self, locale: str) -> str:
        return label_in(self.labels, locale, self.code)

    def list_label(self, locale: str) -> str:
        return label_in(self.list_labels, locale, self.label(locale))


@dataclass(frozen=True)
class ConditionalRequirement:
    when: str
    fields: tuple[str, ...]


@dataclass(frozen=True)
class Transition:
    source: str
    target: str
    actors: frozenset[Actor]
    required_fields: tuple[str, ...] = ()
    required_when: tuple[ConditionalRequirement, ...] = ()
    comment_required: bool = False

    def required_for(self, fact: Callable[[str], Any]) -> tuple[str, ...]:
        """The fields this transition requires of an order whose facts `fact` gives: those it
        always requires, then those of each condition that holds. The one reading of the rule:
        the transition's check and what clients are shown before trying it both come here."""
        required = list(self.required_fields)
        for conditional in self.required_when:
            if fact(conditional.when):
                required += [name for name in conditional.fields if name not in required]
        return tuple(required)


@dataclass(frozen=True)
class Phrase:
    code: str
    labels: Labels


@dataclass(frozen=True)
class NoteEvent:
    code: str
    labels: Labels
    visibility: Visibility
    phrases: tuple[Phrase, ...] = ()

    def label(self, locale: str) -> str:
        return label_in(self.labels, locale, self.code)


@dataclass(frozen=True)
class CloseOutCode:
    code: str
    labels: Labels

    def label(self, locale: str) -> str:
        return label_in(self.labels, locale, self.code)


@dataclass(frozen=True)
class CloseOutField:
    """What a tenant accepts in one close-out field: one of its codes, and free text besides
    only when `free_text` (the document says so)."""

    name: str
    codes: tuple[CloseOutCode, ...] = ()
    free_text: bool = False

    def code(self, value: str) -> CloseOutCode | None:
        return next((c for c in self.codes if c.code == value), None)

    def accepts(self, value: str) -> bool:
        """Whether `value` may be stored: empty (nothing chosen yet), a code, or free text
        where the tenant allows it."""
        return not value or self.free_text or self.code(value) is not None

    def label_of(self, value: str, locale: str) -> str:
        """What a screen shows for a stored value: the code's label, or the free text."""
        found = self.code(value)
        return found.label(locale) if found else value


@dataclass(frozen=True)
class Workflow:
    code: str
    initial: str
    statuses: tuple[Status, ...]
    transitions: tuple[Transition, ...]
    note_events: tuple[NoteEvent, ...] = ()

    def status(self, code: str) -> Status:
        for status in self.statuses:
            if status.code == code:
                return status
        raise KeyError(code)

    def has_status(self, code: str) -> bool:
        return any(s.code == code for s in self.statuses)

    def transition(self, source: str, target: str) -> Transition | None:
        for transition in self.transitions:
            if transition.source == source and transition.target == target:
                return transition
        return None

    def transitions_from(self, source: str) -> list[Transition]:
        return [t for t in self.transitions if t.source == source]

    def note_event(self, code: str) -> NoteEvent | None:
        return next((e for e in self.note_events if e.code == code), None)


@dataclass(frozen=True)
class OrderType:
    code: str
    labels: Labels
    workflow: Workflow

    def label(self, locale: str) -> str:
        return label_in(self.labels, locale, self.code)


@dataclass(frozen=True)
class Priority:
    code: str
    labels: Labels
    rank: int


@dataclass(frozen=True)
class Sla:
    contact_business_days: int | None
    delivery_business_days: int | None


@dataclass(frozen=True)
class AttachmentRules:
    max_bytes: int
    content_types: frozenset[str]


@dataclass(frozen=True)
class Window:
    """How long finished orders stay in contractors' sight: days or calendar months."""

    days: int = 0
    months: int = 0


@dataclass(frozen=True)
class TenantConfiguration:
    tenant: str
    version: int
    country: str
    time_zone: str
    locales: tuple[str, ...]
    number_format: str
    # The first sequential number: a tenant moving onto the platform goes on from its old
    # system's numbers (Familjebostäder's next AO after 2377, Avonova's after 307390).
    first_number: int
    invoice_reference_prefix: str | None
    bundles: bool
    completed_window: Window
    sla: Sla
    creators: frozenset[Actor]
    attachments: AttachmentRules
    priorities: tuple[Priority, ...]
    default_priority: str
    order_types: tuple[OrderType, ...]
    default_order_type: str | None
    booking_cut_off_hours: int = 24
    workflows: Mapping[str, Workflow] = field(default_factory=dict)
    # By field name (`fault_type`, `root_cause`); a coded field the tenant leaves out it does
    # not record at all.
    close_out: Mapping[str, CloseOutField] = field(default_factory=dict)
    # The tenant's own wording of log entry kinds, by kind, in the locales it words them
    # (Familjebostäder's 'AO Registrerad och Beställd'); the platform's catalogue labels the rest.
    entry_kind_labels: Mapping[str, Labels] = field(default_factory=dict)

    def entry_kind_label(self, kind: str, locale: str, status: str = "") -> str | None:
        """The tenant's label of a log entry kind in exactly this locale, `{status}` filled in
        with the label of the status a change went to; None where the tenant has none."""
        found = self.entry_kind_labels.get(kind, {}).get(locale)
        return None if found is None else found.replace(STATUS_PLACEHOLDER, status)

    def order_type(self, code: str) -> OrderType | None:
        return next((t for t in self.order_types if t.code == code), None)

    def close_out_field(self, name: str) -> CloseOutField | None:
        return self.close_out.get(name)

    def priority(self, code: str) -> Priority | None:
        return next((p for p in self.priorities if p.code == code), None)

    def statuses(self) -> list[Status]:
        """Every status of every workflow, once, in configuration order."""
        seen: dict[str, Status] = {}
        for order_type in self.order_types:
            for status in order_type.workflow.statuses:
                seen.setdefault(status.code, status)
        return list(seen.values())


NUMBER_FORMATS = frozenset({"date-time-sequence", "sequential"})


# Collects every problem of a document instead of stopping at the first.
_Reader = DocumentReader


def _workflow(reader: _Reader, code: str, raw: Mapping[str, Any]) -> Workflow:
    where = f"workflows.{code}"
    statuses: list[Status] = []
    for index, raw_status in enumerate(reader.need(raw, "statuses", list, where)):
        at = f"{where}.statuses[{index}]"
        if not isinstance(raw_status, dict):
            reader.problems.append(f"{at}: expected an object")
            continue
        status_code = reader.need(raw_status, "code", str, at)
        try:
            category = Category(str(raw_status.get("category")))
        except ValueError:
            reader.problems.append(
                f"{at}.category: unknown category {raw_status.get('category')!r}"
            )
            category = Category.OPEN
        statuses.append(
            Status(
                status_code,
                category,
                reader.labels(raw_status, at),
                terminal=bool(raw_status.get("terminal", False)),
                list_labels=reader.labels(raw_status, at, "list_labels"),
            )
        )
    codes = [s.code for s in statuses]
    for duplicate in {c for c in codes if codes.count(c) > 1}:
        reader.problems.append(f"{where}: status {duplicate!r} is defined twice")
    initial = reader.need(raw, "initial", str, where)
    if initial and initial not in codes:
        reader.problems.append(f"{where}.initial: unknown status {initial!r}")

    transitions: list[Transition] = []
    for index, raw_transition in enumerate(reader.need(raw, "transitions", list, where)):
        at = f"{where}.transitions[{index}]"
        if not isinstance(raw_transition, dict):
            reader.problems.append(f"{at}: expected an object")
            continue
        sources = raw_transition.get("from")
        sources = [sources] if isinstance(sources, str) else sources
        if not isinstance(sources, list) or not sources:
            reader.problems.append(f"{at}.from: one status or a list of statuses")
            sources = []
        target = reader.need(raw_transition, "to", str, at)
        for status_code in [*sources, target]:
            if status_code and status_code not in codes:
                reader.problems.append(f"{at}: unknown status {status_code!r}")
        actors: set[Actor] = set()
        for actor in reader.need(raw_transition, "actors", list, at):
            try:
                actors.add(Actor(actor))
            except ValueError:
                reader.problems.append(f"{at}.actors: unknown actor {actor!r}")
        if not actors:
            reader.problems.append(f"{at}.actors: nobody may take this transition")
        required = _field_names(reader, raw_transition.get("required_fields", []), at)
        conditional: list[ConditionalRequirement] = []
        raw_conditions = raw_transition.get("required_when", [])
        if not isinstance(raw_conditions, list):
            reader.problems.append(f"{at}.required_when: expected a list")
            raw_conditions = []
        for rule_index, rule in enumerate(raw_conditions):
            rule_at = f"{at}.required_when[{rule_index}]"
            if not isinstance(rule, dict):
                reader.problems.append(f"{rule_at}: expected an object")
                continue
            when = rule.get("when")
            if when not in CONDITIONS:
                reader.problems.append(f"{rule_at}.when: unknown condition {when!r}")
            fields = _field_names(reader, rule.get("fields", []), rule_at, key="fields")
            if not fields:
                reader.problems.append(f"{rule_at}.fields: at least one field is required")
            conditional.append(ConditionalRequirement(str(when), fields))
        for source in sources:
            if source == target:
                reader.problems.append(f"{at}: a transition from {source!r} to itself")
            transitions.append(
                Transition(
                    source,
                    target,
                    frozenset(actors),
                    required,
                    tuple(conditional),
                    bool(raw_transition.get("comment_required", False)),
                )
            )
    pairs = [(t.source, t.target) for t in transitions]
    for pair in {p for p in pairs if pairs.count(p) > 1}:
        reader.problems.append(f"{where}: transition {pair[0]!r} → {pair[1]!r} is defined twice")

    for status in statuses:
        leaves = any(t.source == status.code for t in transitions)
        if not leaves and not status.terminal:
            reader.problems.append(
                f"{where}: nobody can leave status {status.code!r} and it is not terminal"
            )
        if leaves and status.terminal:
            reader.problems.append(f"{where}: terminal status {status.code!r} has transitions")
        reached = status.code == initial or any(t.target == status.code for t in transitions)
        if not reached:
            reader.problems.append(f"{where}: status {status.code!r} can never be reached")

    note_events: list[NoteEvent] = []
    for index, raw_event in enumerate(raw.get("note_events", ())):
        at = f"{where}.note_events[{index}]"
        if not isinstance(raw_event, dict):
            reader.problems.append(f"{at}: expected an object")
            continue
        try:
            visibility = Visibility(raw_event.get("visibility", "contractor"))
        except ValueError:
            reader.problems.append(f"{at}.visibility: unknown visibility")
            visibility = Visibility.CONTRACTOR
        phrases = tuple(
            Phrase(reader.need(p, "code", str, at), reader.labels(p, f"{at}.phrases"))
            for p in raw_event.get("phrases", ())
            if isinstance(p, dict)
        )
        note_events.append(
            NoteEvent(
                reader.need(raw_event, "code", str, at),
                reader.labels(raw_event, at),
                visibility,
                phrases,
            )
        )
    return Workflow(code, initial, tuple(statuses), tuple(transitions), tuple(note_events))


def _field_names(
    reader: _Reader, raw: Any, where: str, *, key: str = "required_fields"
) -> tuple[str, ...]:
    """A list of fields a transition may require, each known, none twice."""
    if not isinstance(raw, list):
        reader.problems.append(f"{where}.{key}: expected a list of field names")
        return ()
    names: list[str] = []
    for name in raw:
        if name not in REQUIRABLE_FIELDS:
            reader.problems.append(f"{where}.{key}: unknown field {name!r}")
        elif name in names:
            reader.problems.append(f"{where}.{key}: field {name!r} is named twice")
        else:
            names.append(name)
    return tuple(names)


def _close_out(reader: _Reader, document: Mapping[str, Any]) -> dict[str, CloseOutField]:
    """`close_out_codes`: for each coded field the tenant records, its codes with a label in
    every locale of the tenant, and whether free text is accepted besides."""
    raw = document.get("close_out_codes", {})
    if not isinstance(raw, dict):
        reader.problems.append("$.close_out_codes: expected an object")
        return {}
    found: dict[str, CloseOutField] = {}
    for name, raw_field in raw.items():
        at = f"$.close_out_codes.{name}"
        if name not in CODED_FIELDS:
            reader.problems.append(
                f"{at}: not a close-out field with codes; one of {sorted(CODED_FIELDS)}"
            )
            continue
        if not isinstance(raw_field, dict):
            reader.problems.append(f"{at}: expected an object")
            continue
        free_text = raw_field.get("free_text", False)
        if not isinstance(free_text, bool):
            reader.problems.append(f"{at}.free_text: expected true or false")
            free_text = False
        raw_codes = raw_field.get("codes", [])
        if not isinstance(raw_codes, list):
            reader.problems.append(f"{at}.codes: expected a list")
            raw_codes = []
        codes: list[CloseOutCode] = []
        for index, raw_code in enumerate(raw_codes):
            code_at = f"{at}.codes[{index}]"
            if not isinstance(raw_code, dict):
                reader.problems.append(f"{code_at}: expected an object")
                continue
            code = raw_code.get("code")
            if not isinstance(code, str) or not code or code != code.strip():
                reader.problems.append(f"{code_at}.code: a code without surrounding blanks")
                continue
            if any(c.code == code for c in codes):
                reader.problems.append(f"{at}: code {code!r} is defined twice")
            codes.append(CloseOutCode(code, reader.labels(raw_code, code_at)))
        if not codes and not free_text:
            reader.problems.append(f"{at}: no codes and no free text, so nothing could be entered")
        found[name] = CloseOutField(name, tuple(codes), free_text)
    return found


def _check_required_fields_recordable(
    reader: _Reader, workflows: Mapping[str, Workflow], close_out: Mapping[str, CloseOutField]
) -> None:
    """A transition may only require a coded field the tenant has codes or free text for."""
    for workflow in workflows.values():
        # One problem per status and field, not one per status the transitions come from.
        missing = {
            (transition.target, name): None
            for transition in workflow.transitions
            for name in transition.required_for(lambda _fact: True)
            if name in CODED_FIELDS and name not in close_out
        }
        for target, name in missing:
            reader.problems.append(
                f"workflows.{workflow.code}: going to {target!r} requires {name!r}, but "
                "$.close_out_codes has no codes or free text for it"
            )


def _first_number(reader: _Reader, document: Mapping[str, Any], number_format: str) -> int:
    """`first_number` of a sequential format: a whole number from 1 (the default)."""
    if "first_number" not in document:
        return 1
    value = document["first_number"]
    if number_format == "date-time-sequence":
        # A date-time number has no running part to start from: the setting would be ignored.
        reader.problems.append(
            "$.first_number: only for the sequential number format, not date-time-sequence"
        )
        return 1
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        reader.problems.append(f"$.first_number: a whole number from 1, not {value!r}")
        return 1
    return value


def _entry_kind_labels(reader: _Reader, document: Mapping[str, Any]) -> dict[str, Labels]:
    """`entry_kind_labels`: for some log entry kinds, the tenant's label in some locales."""
    raw = document.get("entry_kind_labels", {})
    if not isinstance(raw, dict):
        reader.problems.append("$.entry_kind_labels: expected an object")
        return {}
    found: dict[str, Labels] = {}
    for kind, labels in raw.items():
        at = f"$.entry_kind_labels.{kind}"
        if kind not in ENTRY_KINDS:
            reader.problems.append(f"{at}: not a log entry kind; one of {sorted(ENTRY_KINDS)}")
            continue
        if not isinstance(labels, dict) or not labels:
            reader.problems.append(f"{at}: at least one label is required")
            continue
        for locale, text in labels.items():
            if locale not in LOCALES or not isinstance(text, str) or not text.strip():
                reader.problems.append(f"{at}.{locale}: unknown locale or empty label")
            elif STATUS_PLACEHOLDER in text and kind != "status_changed":
                reader.problems.append(f"{at}.{locale}: only a status change names its status")
        found[kind] = {str(k): str(v) for k, v in labels.items()}
    return found


def parse_configuration(document: Mapping[str, Any]) -> TenantConfiguration:
    """The tenant's order configuration, or `ConfigurationError` naming every problem."""
    raw_locales = document.get("locales")
    locales = [str(v) for v in raw_locales] if isinstance(raw_locales, list) else []
    reader = _Reader(locales)
    if not locales or any(locale not in LOCALES for locale in locales):
        reader.problems.append(f"$.locales: a list of locales out of {', '.join(LOCALES)}")
    tenant = reader.need(document, "tenant", str, "$")
    version = reader.need(document, "version", int, "$")
    number_format = reader.need(document, "number_format", str, "$")
    if number_format and number_format not in NUMBER_FORMATS:
        reader.problems.append(f"$.number_format: one of {sorted(NUMBER_FORMATS)}")
    first_number = _first_number(reader, document, number_format)
    workflows = {
        code: _workflow(reader, code, raw)
        for code, raw in reader.need(document, "workflows", dict, "$").items()
    }
    close_out = _close_out(reader, document)
    entry_kind_labels = _entry_kind_labels(reader, document)
    _check_required_fields_recordable(reader, workflows, close_out)
    order_types: list[OrderType] = []
    for index, raw_type in enumerate(reader.need(document, "order_types", list, "$")):
        at = f"$.order_types[{index}]"
        workflow_code = raw_type.get("workflow")
        if workflow_code not in workflows:
            reader.problems.append(f"{at}.workflow: unknown workflow {workflow_code!r}")
            continue
        order_types.append(
            OrderType(
                reader.need(raw_type, "code", str, at),
                reader.labels(raw_type, at),
                workflows[workflow_code],
            )
        )
    if not order_types:
        reader.problems.append("$.order_types: at least one order type is required")
    priorities = tuple(
        Priority(reader.need(p, "code", str, "$.priorities"), reader.labels(p, "$.priorities"), i)
        for i, p in enumerate(reader.need(document, "priorities", list, "$"))
    )
    default_priority = reader.need(document, "default_priority", str, "$")
    if default_priority not in {p.code for p in priorities}:
        reader.problems.append("$.default_priority: not one of the priorities")
    default_type = document.get("default_order_type")
    if default_type is not None and default_type not in {t.code for t in order_types}:
        reader.problems.append("$.default_order_type: not one of the order types")
    creators: set[Actor] = set()
    for actor in reader.need(document, "creators", list, "$"):
        try:
            creators.add(Actor(actor))
        except ValueError:
            reader.problems.append(f"$.creators: unknown actor {actor!r}")
    sla_raw = reader.need(document, "sla", dict, "$")
    attachments_raw = reader.need(document, "attachments", dict, "$")
    window_raw = reader.need(document, "completed_window", dict, "$")
    window = Window(days=int(window_raw.get("days", 0)), months=int(window_raw.get("months", 0)))
    if window.days <= 0 and window.months <= 0:
        reader.problems.append("$.completed_window: days or months must be positive")
    if reader.problems:
        raise ConfigurationError(reader.problems)
    return TenantConfiguration(
        tenant=tenant,
        version=version,
        country=reader.need(document, "country", str, "$"),
        time_zone=str(document.get("time_zone", "UTC")),
        locales=tuple(locales),
        number_format=number_format,
        first_number=first_number,
        invoice_reference_prefix=document.get("invoice_reference_prefix"),
        bundles=bool(document.get("bundles", False)),
        completed_window=window,
        sla=Sla(sla_raw.get("contact_business_days"), sla_raw.get("delivery_business_days")),
        creators=frozenset(creators),
        attachments=AttachmentRules(
            int(attachments_raw.get("max_bytes", 10 * 1024 * 1024)),
            frozenset(attachments_raw.get("content_types", ())),
        ),
        priorities=priorities,
        default_priority=default_priority,
        order_types=tuple(order_types),
        default_order_type=default_type,
        booking_cut_off_hours=int(document.get("booking_cut_off_hours", 24)),
        workflows=workflows,
        close_out=close_out,
        entry_kind_labels=entry_kind_labels,
    )
