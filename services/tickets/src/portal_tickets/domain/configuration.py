"""The ticket form and workflow as tenant data: one versioned document per tenant, checked at load.

A document (JSON, in `portal_tickets/configuration/<tenant>.json`) names what a tenant's "new
ticket" page has and what its tickets may say:

- `fields`: the form's fields (customer, product/service, sub-service, type, urgency, impact,
  topic, subject, title, description, private, files), each with its labels and help per locale
  and whether it is required; a field the document leaves out is not on the tenant's form.
- the coded lists: `ticket_types` (with explanations and a `default_ticket_type`), `services`
  with their `sub_services`, `urgencies`, `impacts`, `topics`; each code with a label in every
  locale of the tenant, and `active: false` for a code kept for old tickets only.
- `statuses` (codes in the `open` or `closed` category), the `initial_status`, and
  `transitions`: who (`creator`, `customer`, `staff`) may move a ticket from where to where; the
  customer's `close_status` and `reopen_status`, and `reopen_days` after closing.
- `editable`: which fields the creator's side and staff may change after creation.
- `number`: digits shown (zero-padded; Visma Enterprise "00002196") and the `first_number`, so
  a tenant that migrates keeps its numbering.
- `attachments` (size, types, count), `posts_when_closed`, `teams` (with their staff members) and
  `assignment_rules` (ordered conditions that set the owner team of a new ticket).

`parse_configuration` refuses a document with any inconsistency and names every problem, so a
bad document stops the service at start (`adapters/configuration.py`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from portal_kit.documents import ConfigurationError as ConfigurationError
from portal_kit.documents import DocumentReader, Labels, label_in
from portal_kit.messages import LOCALES

# The fields a tenant's form may have; the names are those of the ticket record.
FORM_FIELDS = (
    "organisation",
    "service",
    "sub_service",
    "ticket_type",
    "urgency",
    "impact",
    "topic",
    "subject",
    "title",
    "description",
    "private",
    "attachments",
)
# Fields that hold one of the tenant's codes, and the list each one picks from.
CODED_FIELDS = ("service", "sub_service", "ticket_type", "urgency", "impact", "topic")
TEXT_FIELDS = ("subject", "title", "description")
# What may be changed after creation (the customer and the ticket's number never are).
EDITABLE_FIELDS = frozenset({*CODED_FIELDS, *TEXT_FIELDS})
# What an assignment rule may look at.
RULE_CONDITIONS = ("service", "ticket_type", "urgency", "impact", "organisation")


class Category(StrEnum):
    OPEN = "open"
    CLOSED = "closed"


class Actor(StrEnum):
    """Who moves a ticket: the person who opened it, anyone of the customer side who sees it,
    or the operator's staff."""

    CREATOR = "creator"
    CUSTOMER = "customer"
    STAFF = "staff"


@dataclass(frozen=True)
class Choice:
    """One code of a coded list, with its label and explanation per locale."""

    code: str
    labels: Labels
    explanations: Labels = field(default_factory=dict)
    active: bool = True
    children: tuple[Choice, ...] = ()

    def label(self, locale: str) -> str:
        return label_in(self.labels, locale, self.code)

    def explanation(self, locale: str) -> str | None:
        return label_in(self.explanations, locale, "") or None if self.explanations else None

    def child(self, code: str) -> Choice | None:
        return next((c for c in self.children if c.code == code), None)


@dataclass(frozen=True)
class FormField:
    name: str
    required: bool
    labels: Labels
    help: Labels = field(default_factory=dict)

    def label(self, locale: str) -> str:
        return label_in(self.labels, locale, self.name)

    def help_text(self, locale: str) -> str | None:
        return label_in(self.help, locale, "") or None if self.help else None


@dataclass(frozen=True)
class Status:
    code: str
    category: Category
    labels: Labels

    def label(self, locale: str) -> str:
        return label_in(self.labels, locale, self.code)


@dataclass(frozen=True)
class Transition:
    source: str
    target: str
    actors: frozenset[Actor]


@dataclass(frozen=True)
class Team:
    code: str
    labels: Labels
    members: tuple[str, ...] = ()

    def label(self, locale: str) -> str:
        return label_in(self.labels, locale, self.code)


@dataclass(frozen=True)
class AssignmentRule:
    """Sets `team` as owner of a new ticket whose values are among the listed ones (a condition
    left out takes any value)."""

    team: str
    conditions: Mapping[str, frozenset[str]]

    def matches(self, values: Mapping[str, str | None]) -> bool:
        return all(values.get(name) in codes for name, codes in self.conditions.items())


@dataclass(frozen=True)
class NumberFormat:
    digits: int = 0
    first_number: int = 1

    def number_of(self, sequence: int) -> int:
        """The ticket's number for the tenant's `sequence`-th ticket (counted from 1)."""
        if sequence < 1:
            raise ValueError("ticket sequences start at 1")
        return self.first_number + sequence - 1

    def shown(self, number: int) -> str:
        return str(number).zfill(self.digits)


@dataclass(frozen=True)
class AttachmentRules:
    max_bytes: int
    content_types: frozenset[str]
    max_files: int = 10


@dataclass(frozen=True)
class TicketConfiguration:
    tenant: str
    version: int
    locales: tuple[str, ...]
    fields: Mapping[str, FormField]
    ticket_types: tuple[Choice, ...]
    default_ticket_type: str
    services: tuple[Choice, ...]
    urgencies: tuple[Choice, ...]
    impacts: tuple[Choice, ...]
    topics: tuple[Choice, ...]
    statuses: tuple[Status, ...]
    initial_status: str
    transitions: tuple[Transition, ...]
    close_status: str
    reopen_status: str
    reopen_days: int
    editable: Mapping[Actor, frozenset[str]]
    number: NumberFormat
    attachments: AttachmentRules
    posts_when_closed: bool = False
    teams: tuple[Team, ...] = ()
    assignment_rules: tuple[AssignmentRule, ...] = ()
    knowledge_categories: tuple[Choice, ...] = ()

    @property
    def default_locale(self) -> str:
        """The tenant's first language: what a reader gets when an article has none of theirs."""
        return self.locales[0]

    def knowledge_category(self, code: str) -> Choice | None:
        """A category of the knowledge base's tree, at any depth."""
        pending = list(self.knowledge_categories)
        while pending:
            choice = pending.pop(0)
            if choice.code == code:
                return choice
            pending.extend(choice.children)
        return None

    def knowledge_category_codes(self) -> list[str]:
        codes: list[str] = []
        pending = list(self.knowledge_categories)
        while pending:
            choice = pending.pop(0)
            codes.append(choice.code)
            pending.extend(choice.children)
        return codes

    # -- the form ---------------------------------------------------------------------------

    def has(self, name: str) -> bool:
        return name in self.fields

    def required(self, name: str) -> bool:
        found = self.fields.get(name)
        return found is not None and found.required

    def locale_for(self, requested: str) -> str:
        return requested if requested in self.locales else self.locales[0]

    def choices(self, name: str, *, service: str | None = None) -> tuple[Choice, ...]:
        """The codes a coded field picks from (a sub-service: those of `service`)."""
        if name == "sub_service":
            parent = _find(self.services, service or "")
            return parent.children if parent else ()
        lists = {
            "service": self.services,
            "ticket_type": self.ticket_types,
            "urgency": self.urgencies,
            "impact": self.impacts,
            "topic": self.topics,
        }
        return lists[name]

    def choice(self, name: str, code: str | None, *, service: str | None = None) -> Choice | None:
        if code is None:
            return None
        return _find(self.choices(name, service=service), code)

    # -- the workflow -----------------------------------------------------------------------

    def status(self, code: str) -> Status:
        found = next((s for s in self.statuses if s.code == code), None)
        if found is None:
            raise KeyError(code)
        return found

    def has_status(self, code: str) -> bool:
        return any(s.code == code for s in self.statuses)

    def transition(self, source: str, target: str) -> Transition | None:
        return next(
            (t for t in self.transitions if t.source == source and t.target == target), None
        )

    def codes_in(self, category: Category) -> tuple[str, ...]:
        return tuple(s.code for s in self.statuses if s.category is category)

    # -- teams and rules --------------------------------------------------------------------

    def team(self, code: str) -> Team | None:
        return next((t for t in self.teams if t.code == code), None)

    def team_by_rule(self, values: Mapping[str, str | None]) -> str | None:
        """The owner team the first matching assignment rule gives; None when none matches."""
        return next((r.team for r in self.assignment_rules if r.matches(values)), None)


def _find(choices: Iterable[Choice], code: str) -> Choice | None:
    return next((c for c in choices if c.code == code), None)


class _Reader(DocumentReader):
    """The kit's reader, with the codes and coded lists of a ticket document."""

    def code(self, source: Mapping[str, Any], where: str) -> str:
        code = source.get("code")
        if not isinstance(code, str) or not code or code != code.strip() or len(code) > 64:
            self.problems.append(f"{where}.code: a code of at most 64 characters, no blanks")
            return ""
        return code

    def choices(
        self, document: Mapping[str, Any], key: str, where: str, *, children: str | None = None
    ) -> tuple[Choice, ...]:
        raw = document.get(key, [])
        if not isinstance(raw, list):
            self.problems.append(f"{where}.{key}: expected a list")
            return ()
        found: list[Choice] = []
        for index, item in enumerate(raw):
            at = f"{where}.{key}[{index}]"
            if not isinstance(item, dict):
                self.problems.append(f"{at}: expected an object")
                continue
            code = self.code(item, at)
            active = item.get("active", True)
            if not isinstance(active, bool):
                self.problems.append(f"{at}.active: expected true or false")
                active = True
            nested = self.choices(item, children, at) if children else ()
            found.append(
                Choice(
                    code,
                    self.labels(item, at),
                    self.labels(item, at, "explanations", required=False),
                    active,
                    nested,
                )
            )
        self.no_twice([c.code for c in found], f"{where}.{key}", "code")
        return tuple(found)


def _fields(reader: _Reader, document: Mapping[str, Any]) -> dict[str, FormField]:
    raw = reader.need(document, "fields", dict, "$")
    found: dict[str, FormField] = {}
    for name, spec in raw.items():
        at = f"$.fields.{name}"
        if name not in FORM_FIELDS:
            reader.problems.append(f"{at}: not a ticket field; one of {', '.join(FORM_FIELDS)}")
            continue
        if not isinstance(spec, dict):
            reader.problems.append(f"{at}: expected an object")
            continue
        required = spec.get("required", False)
        if not isinstance(required, bool):
            reader.problems.append(f"{at}.required: expected true or false")
            required = False
        found[name] = FormField(
            name,
            required,
            reader.labels(spec, at),
            reader.labels(spec, at, "help", required=False),
        )
    if "organisation" not in found:
        reader.problems.append("$.fields.organisation: every ticket is for a customer")
    if not any(name in found for name in ("subject", "title")):
        reader.problems.append("$.fields: a ticket needs a subject or a title")
    if found.get("sub_service") is not None and "service" not in found:
        reader.problems.append("$.fields.sub_service: only with a service field")
    return found


def _statuses(reader: _Reader, document: Mapping[str, Any]) -> tuple[Status, ...]:
    statuses: list[Status] = []
    for index, raw in enumerate(reader.need(document, "statuses", list, "$")):
        at = f"$.statuses[{index}]"
        if not isinstance(raw, dict):
            reader.problems.append(f"{at}: expected an object")
            continue
        try:
            category = Category(str(raw.get("category")))
        except ValueError:
            reader.problems.append(f"{at}.category: open or closed, not {raw.get('category')!r}")
            category = Category.OPEN
        statuses.append(Status(reader.code(raw, at), category, reader.labels(raw, at)))
    reader.no_twice([s.code for s in statuses], "$.statuses", "status")
    if not any(s.category is Category.OPEN for s in statuses) or not any(
        s.category is Category.CLOSED for s in statuses
    ):
        reader.problems.append("$.statuses: at least one open and one closed status")
    return tuple(statuses)


def _transitions(
    reader: _Reader, document: Mapping[str, Any], codes: set[str]
) -> tuple[Transition, ...]:
    found: list[Transition] = []
    for index, raw in enumerate(reader.need(document, "transitions", list, "$")):
        at = f"$.transitions[{index}]"
        if not isinstance(raw, dict):
            reader.problems.append(f"{at}: expected an object")
            continue
        sources = reader.sources(raw, at, codes)
        target = reader.need(raw, "to", str, at)
        actors = reader.members(raw, "actors", Actor, at)
        for source in sources:
            if source == target:
                reader.problems.append(f"{at}: a transition from {source!r} to itself")
            found.append(Transition(str(source), target, frozenset(actors)))
    pairs = [(t.source, t.target) for t in found]
    for pair in sorted({p for p in pairs if pairs.count(p) > 1}):
        reader.problems.append(f"$.transitions: {pair[0]!r} → {pair[1]!r} is defined twice")
    return tuple(found)


def _status_setting(
    reader: _Reader, document: Mapping[str, Any], key: str, statuses: Sequence[Status]
) -> str:
    code = reader.need(document, key, str, "$")
    if code and code not in {s.code for s in statuses}:
        reader.problems.append(f"$.{key}: unknown status {code!r}")
    return str(code)


def _editable(reader: _Reader, document: Mapping[str, Any]) -> dict[Actor, frozenset[str]]:
    raw = document.get("editable", {})
    if not isinstance(raw, dict):
        reader.problems.append("$.editable: expected an object")
        return {}
    found: dict[Actor, frozenset[str]] = {}
    for actor_name, names in raw.items():
        try:
            actor = Actor(actor_name)
        except ValueError:
            reader.problems.append(f"$.editable: unknown actor {actor_name!r}")
            continue
        if not isinstance(names, list) or any(n not in EDITABLE_FIELDS for n in names):
            reader.problems.append(
                f"$.editable.{actor_name}: a list out of {', '.join(sorted(EDITABLE_FIELDS))}"
            )
            continue
        found[actor] = frozenset(names)
    return found


def _number(reader: _Reader, document: Mapping[str, Any]) -> NumberFormat:
    raw = reader.need(document, "number", dict, "$")
    digits = raw.get("digits", 0)
    first = raw.get("first_number", 1)
    if not isinstance(digits, int) or isinstance(digits, bool) or not 0 <= digits <= 12:
        reader.problems.append(f"$.number.digits: a whole number from 0 to 12, not {digits!r}")
        digits = 0
    if not isinstance(first, int) or isinstance(first, bool) or first < 1:
        reader.problems.append(f"$.number.first_number: a whole number from 1, not {first!r}")
        first = 1
    return NumberFormat(digits, first)


def _attachments(reader: _Reader, document: Mapping[str, Any]) -> AttachmentRules:
    raw = reader.need(document, "attachments", dict, "$")
    max_bytes = raw.get("max_bytes", 10 * 1024 * 1024)
    max_files = raw.get("max_files", 10)
    types = raw.get("content_types", [])
    if not isinstance(max_bytes, int) or isinstance(max_bytes, bool) or max_bytes < 1:
        reader.problems.append("$.attachments.max_bytes: a positive whole number")
        max_bytes = 1
    if not isinstance(max_files, int) or isinstance(max_files, bool) or not 1 <= max_files <= 20:
        reader.problems.append("$.attachments.max_files: a whole number from 1 to 20")
        max_files = 1
    if not isinstance(types, list) or not types or not all(isinstance(t, str) for t in types):
        reader.problems.append("$.attachments.content_types: a list of content types")
        types = []
    return AttachmentRules(max_bytes, frozenset(types), max_files)


def _teams(reader: _Reader, document: Mapping[str, Any]) -> tuple[Team, ...]:
    teams: list[Team] = []
    for index, raw in enumerate(document.get("teams", [])):
        at = f"$.teams[{index}]"
        if not isinstance(raw, dict):
            reader.problems.append(f"{at}: expected an object")
            continue
        members = raw.get("members", [])
        if not isinstance(members, list) or not all(isinstance(m, str) and m for m in members):
            reader.problems.append(f"{at}.members: a list of user ids")
            members = []
        teams.append(Team(reader.code(raw, at), reader.labels(raw, at), tuple(members)))
    reader.no_twice([t.code for t in teams], "$.teams", "team")
    return tuple(teams)


def _rules(
    reader: _Reader,
    document: Mapping[str, Any],
    teams: Sequence[Team],
    lists: Mapping[str, Sequence[Choice]],
) -> tuple[AssignmentRule, ...]:
    rules: list[AssignmentRule] = []
    for index, raw in enumerate(document.get("assignment_rules", [])):
        at = f"$.assignment_rules[{index}]"
        if not isinstance(raw, dict):
            reader.problems.append(f"{at}: expected an object")
            continue
        team = raw.get("team")
        if team not in {t.code for t in teams}:
            reader.problems.append(f"{at}.team: unknown team {team!r}")
        when = raw.get("when", {})
        if not isinstance(when, dict):
            reader.problems.append(f"{at}.when: expected an object")
            when = {}
        conditions: dict[str, frozenset[str]] = {}
        for name, codes in when.items():
            if name not in RULE_CONDITIONS:
                reader.problems.append(
                    f"{at}.when.{name}: a rule looks at {', '.join(RULE_CONDITIONS)}"
                )
                continue
            if not isinstance(codes, list) or not codes:
                reader.problems.append(f"{at}.when.{name}: a list of codes")
                continue
            known = {c.code for c in lists.get(name, ())}
            for code in codes:
                if name != "organisation" and code not in known:
                    reader.problems.append(f"{at}.when.{name}: unknown code {code!r}")
            conditions[name] = frozenset(str(c) for c in codes)
        rules.append(AssignmentRule(str(team), conditions))
    return tuple(rules)


def parse_configuration(document: Mapping[str, Any]) -> TicketConfiguration:
    """The tenant's ticket configuration, or `ConfigurationError` naming every problem."""
    raw_locales = document.get("locales")
    locales = [str(v) for v in raw_locales] if isinstance(raw_locales, list) else []
    reader = _Reader(locales)
    if not locales or any(locale not in LOCALES for locale in locales):
        reader.problems.append(f"$.locales: a list of locales out of {', '.join(LOCALES)}")
    tenant = reader.need(document, "tenant", str, "$")
    version = reader.need(document, "version", int, "$")
    if isinstance(version, int) and version < 1:
        reader.problems.append("$.version: from 1")
    fields = _fields(reader, document)
    ticket_types = reader.choices(document, "ticket_types", "$")
    services = reader.choices(document, "services", "$", children="sub_services")
    urgencies = reader.choices(document, "urgencies", "$")
    impacts = reader.choices(document, "impacts", "$")
    topics = reader.choices(document, "topics", "$")
    if not ticket_types:
        reader.problems.append("$.ticket_types: at least one ticket type")
    default_type = reader.need(document, "default_ticket_type", str, "$")
    if default_type and default_type not in {t.code for t in ticket_types}:
        reader.problems.append(f"$.default_ticket_type: not one of the types: {default_type!r}")
    lists = {
        "service": services,
        "ticket_type": ticket_types,
        "urgency": urgencies,
        "impact": impacts,
        "topic": topics,
    }
    for name, choices in lists.items():
        if name in fields and not any(c.active for c in choices):
            reader.problems.append(f"$.fields.{name}: the form has it, but no active code")
    if "sub_service" in fields and not any(s.children for s in services):
        reader.problems.append("$.fields.sub_service: no service has sub-services")
    statuses = _statuses(reader, document)
    codes = {s.code for s in statuses}
    transitions = _transitions(reader, document, codes)
    initial = _status_setting(reader, document, "initial_status", statuses)
    close_status = _status_setting(reader, document, "close_status", statuses)
    reopen_status = _status_setting(reader, document, "reopen_status", statuses)
    by_code = {s.code: s for s in statuses}
    if initial in by_code and by_code[initial].category is not Category.OPEN:
        reader.problems.append("$.initial_status: a new ticket is open")
    if close_status in by_code and by_code[close_status].category is not Category.CLOSED:
        reader.problems.append("$.close_status: not a closed status")
    if reopen_status in by_code and by_code[reopen_status].category is not Category.OPEN:
        reader.problems.append("$.reopen_status: not an open status")
    for status in statuses:
        reached = status.code == initial or any(t.target == status.code for t in transitions)
        if not reached:
            reader.problems.append(f"$.statuses: {status.code!r} can never be reached")
    reopen_days = document.get("reopen_days", 0)
    if not isinstance(reopen_days, int) or isinstance(reopen_days, bool) or reopen_days < 0:
        reader.problems.append("$.reopen_days: a whole number of days from 0")
        reopen_days = 0
    posts_when_closed = document.get("posts_when_closed", False)
    if not isinstance(posts_when_closed, bool):
        reader.problems.append("$.posts_when_closed: expected true or false")
        posts_when_closed = False
    editable = _editable(reader, document)
    number = _number(reader, document)
    attachments = _attachments(reader, document)
    teams = _teams(reader, document)
    rules = _rules(reader, document, teams, lists)
    knowledge_categories = reader.choices(
        document, "knowledge_categories", "$", children="subcategories"
    )
    reader.raise_if_any()
    return TicketConfiguration(
        tenant=tenant,
        version=version,
        locales=tuple(locales),
        fields=fields,
        ticket_types=ticket_types,
        default_ticket_type=default_type,
        services=services,
        urgencies=urgencies,
        impacts=impacts,
        topics=topics,
        statuses=statuses,
        initial_status=initial,
        transitions=transitions,
        close_status=close_status,
        reopen_status=reopen_status,
        reopen_days=reopen_days,
        editable=editable,
        number=number,
        attachments=attachments,
        posts_when_closed=posts_when_closed,
        teams=teams,
        assignment_rules=rules,
        knowledge_categories=knowledge_categories,
    )
