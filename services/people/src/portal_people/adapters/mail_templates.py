"""E-mail texts per locale (nb, sv, da, fi, en). Placeholders: {name}, {portal}, {organisation},
{link}, {code}, {minutes}, {days}."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Template:
    subject: str
    text: str


INVITATION = {
    "nb": Template(
        "Invitasjon til {portal}",
        "Hei {name},\n\nDu er invitert til {portal} for {organisation}.\n"
        "Klikk på linken og velg «Løs inn invitasjon»:\n{link}\n\n"
        "Invitasjonskode: {code}\nKoden kan brukes én gang og gjelder i {days} dager.\n",
    ),
    "sv": Template(
        "Inbjudan till {portal}",
        "Hej {name},\n\nDu är inbjuden till {portal} för {organisation}.\n"
        "Klicka på länken och välj ”Lös in inbjudan”:\n{link}\n\n"
        "Inbjudningskod: {code}\nKoden kan användas en gång och gäller i {days} dagar.\n",
    ),
    "da": Template(
        "Invitation til {portal}",
        "Hej {name},\n\nDu er inviteret til {portal} for {organisation}.\n"
        "Klik på linket og vælg »Indløs invitation«:\n{link}\n\n"
        "Invitationskode: {code}\nKoden kan bruges én gang og gælder i {days} dage.\n",
    ),
    "fi": Template(
        "Kutsu palveluun {portal}",
        "Hei {name},\n\nSinut on kutsuttu palveluun {portal} ({organisation}).\n"
        "Avaa linkki ja valitse ”Lunasta kutsu”:\n{link}\n\n"
        "Kutsukoodi: {code}\nKoodin voi käyttää kerran, ja se on voimassa {days} päivää.\n",
    ),
    "en": Template(
        "Invitation to {portal}",
        "Hello {name},\n\nYou are invited to {portal} for {organisation}.\n"
        "Open the link and choose 'Redeem invitation':\n{link}\n\n"
        "Invitation code: {code}\nThe code can be used once and is valid for {days} days.\n",
    ),
}

PASSWORD_RESET = {
    "nb": Template(
        "Nytt passord for {portal}",
        "Hei {name},\n\nVi har fått en forespørsel om nytt passord for {portal}.\n"
        "Velg et nytt passord her:\n{link}\n\nLinken kan brukes én gang og gjelder i "
        "{minutes} minutter. Har du ikke bedt om dette, kan du se bort fra e-posten.\n",
    ),
    "sv": Template(
        "Nytt lösenord för {portal}",
        "Hej {name},\n\nVi har fått en begäran om nytt lösenord för {portal}.\n"
        "Välj ett nytt lösenord här:\n{link}\n\nLänken kan användas en gång och gäller i "
        "{minutes} minuter. Har du inte bett om detta kan du bortse från meddelandet.\n",
    ),
    "da": Template(
        "Ny adgangskode til {portal}",
        "Hej {name},\n\nVi har modtaget en anmodning om ny adgangskode til {portal}.\n"
        "Vælg en ny adgangskode her:\n{link}\n\nLinket kan bruges én gang og gælder i "
        "{minutes} minutter. Har du ikke bedt om det, kan du se bort fra denne e-mail.\n",
    ),
    "fi": Template(
        "Uusi salasana palveluun {portal}",
        "Hei {name},\n\nSaimme pyynnön uudesta salasanasta palveluun {portal}.\n"
        "Valitse uusi salasana täällä:\n{link}\n\nLinkin voi käyttää kerran, ja se on "
        "voimassa {minutes} minuuttia. Jos et pyytänyt tätä, voit jättää viestin huomiotta.\n",
    ),
    "en": Template(
        "New password for {portal}",
        "Hello {name},\n\nWe received a request for a new password for {portal}.\n"
        "Choose a new password here:\n{link}\n\nThe link can be used once and is valid for "
        "{minutes} minutes. If you did not ask for this, you can ignore this e-mail.\n",
    ),
}


def render(templates: dict[str, Template], locale: str, **values: object) -> Template:
    template = templates.get(locale) or templates["en"]
    return Template(template.subject.format(**values), template.text.format(**values))
