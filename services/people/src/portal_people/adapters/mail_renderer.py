"""Notification mails rendered with Jinja2 from `portal_people/mails/templates`: one template per
kind (`kinds/<kind>.j2`) laid out twice, as HTML (`layout.html`, autoescaped) and as plain text
(`layout.txt`); the subject is the kind's `subject` block. Every text is marked `_("...")` in
the template and translated with `portal_kit.messages.translate` from the mails' gettext
catalogues into the recipient's language (English when a catalogue lacks it, which the tests
forbid). A kind without a template is an error the caller sees (`MissingTemplate`)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, TemplateNotFound, pass_context
from jinja2.runtime import Context
from portal_kit.messages import Message, translate

from portal_people.mails import PACKAGE
from portal_people.service_layer.notifications import RenderedMail

_BLANK_LINES = re.compile(r"\n\s*\n(\s*\n)+")


class MissingTemplate(LookupError):
    """No template for this kind of mail."""


@pass_context
def _translated(context: Context, template: str, **params: Any) -> str:
    return translate(Message(PACKAGE, template, params), str(context.get("locale", "en")))


def _environment(html: bool) -> Environment:
    environment = Environment(
        loader=PackageLoader(PACKAGE, "templates"),
        autoescape=html,
        undefined=StrictUndefined,
    )
    environment.globals["_"] = _translated
    return environment


class JinjaMailRenderer:
    def __init__(self) -> None:
        self._html = _environment(html=True)
        self._text = _environment(html=False)

    def render(self, template: str, locale: str, values: Mapping[str, Any]) -> RenderedMail:
        name = f"kinds/{template}.j2"
        context = {
            "link": None,
            "name": None,
            "when": "",
            "place": "",
            "reply": "",
            **values,
            "locale": locale,
        }
        try:
            text_template = self._text.get_template(name)
            html_template = self._html.get_template(name)
        except TemplateNotFound as error:
            raise MissingTemplate(template) from error
        subject_context = text_template.new_context({**context, "layout": "layout.txt"})
        subject = "".join(text_template.blocks["subject"](subject_context)).strip()
        text = text_template.render(**context, layout="layout.txt", html=False)
        html = html_template.render(**context, layout="layout.html", html=True)
        text = _BLANK_LINES.sub("\n\n", text).strip() + "\n"
        return RenderedMail(subject=" ".join(subject.split()), text=text, html=html)
