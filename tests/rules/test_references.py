"""Ticket numbers an escalation email refers to (app/rules/detect.py find_ticket_references)."""

from __future__ import annotations

import pytest

from app.rules.detect import find_ticket_references


@pytest.mark.parametrize(
    ("subject", "body", "expected"),
    [
        ("Escalation #12345", "", [12345]),
        ("", "Please escalate ticket 12345.", [12345]),
        ("", "Please escalate ticket #12345.", [12345]),
        ("", "Regarding request 12345", [12345]),
        ("", "Our case 12345 is stuck", [12345]),
        ("", "Ticket number: 12345", [12345]),
        ("", "See https://acme.zendesk.com/hc/en-us/requests/12345 please", [12345]),
        ("", "See https://acme.zendesk.com/hc/requests/12345", [12345]),
        ("", "Agent link https://acme.zendesk.com/agent/tickets/12345", [12345]),
        # nl
        ("", "Graag escaleren: verzoek 12345", [12345]),
        ("", "Onze melding #12345 en zaak 12346", [12345, 12346]),
        ("", "Ticketnummer: 12345", [12345]),
        # de
        ("", "Bitte Anfrage Nr. 12345 eskalieren", [12345]),
        ("", "Vorgang 12345, Fall 12346", [12345, 12346]),
        ("", "Ticket-Nr. 12345", [12345]),
        # fr
        ("", "Merci d'escalader la demande n° 12345", [12345]),
        ("", "Dossier 12345 et cas 12346", [12345, 12346]),
        ("", "Numéro de ticket : 12345", [12345]),
        # es
        ("", "Por favor escalen la solicitud 12345", [12345]),
        ("", "Caso nº 12345 e incidencia 12346", [12345, 12346]),
        ("", "Número de caso: 12345", [12345]),
    ],
)
def test_reference_forms(subject: str, body: str, expected: list[int]) -> None:
    assert find_ticket_references(subject, body) == expected


def test_order_of_appearance_subject_first_and_deduplicated() -> None:
    subject = "Escalate #222 (was #111)"
    body = "Ticket 111 and ticket 333, again ticket #222."
    assert find_ticket_references(subject, body) == [222, 111, 333]


@pytest.mark.parametrize(
    "body",
    [
        "Call me on +31 20 555 1234 or 06-12345678.",
        "It started on 2024-05-01 at 10:00.",
        "We lose EUR 12345 per hour, 12,000 records affected.",
        "Version 7.23.4 is installed on 3 servers.",
        "In case 2 users log in at once it fails.",
        "Please escalate.\n\nBest regards,\nJohn\nTicket 55555 | +31 20 555 1234",
        "Please escalate.\n\nOn Mon, Support wrote:\n> Your ticket #44444 was updated",
        "Ticket 5 days old, request 300 euros back.",
    ],
)
def test_not_references(body: str) -> None:
    assert find_ticket_references("Escalation", body) == []


def test_empty_inputs() -> None:
    assert find_ticket_references("", "") == []
