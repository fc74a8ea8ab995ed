"""Business-impact detection and comment cleaning (app/rules/detect.py)."""

from __future__ import annotations

import pytest

from app.rules import detect
from app.rules.decision import Category
from app.rules.detect import LANGUAGES, ImpactSettings, clean_text, detect_impact, prepare

# --- categories, per language -------------------------------------------------------------

CATEGORY_CASES: list[tuple[str, Category, str]] = [
    # en
    ("en", "prolonged_outage", "Our webshop has been down since 6am and customers cannot pay."),
    (
        "en",
        "major_problem",
        "Since the upgrade our 300 agents are idle half the day and you "
        "have not found the root cause after two weeks.",
    ),
    (
        "en",
        "recurring_incidents",
        "This is the third outage this week; each time our stores "
        "cannot process sales for an hour.",
    ),
    (
        "en",
        "security_breach",
        "Users from another tenant can open our admin pages without logging in.",
    ),
    ("en", "data_loss", "The nightly sync deleted 4,500 patient appointments from the database."),
    (
        "en",
        "business_risk",
        "Our go-live is next Monday and if this is not fixed by Friday we "
        "have to cancel the launch.",
    ),
    # nl
    (
        "nl",
        "prolonged_outage",
        "Onze webshop ligt er al sinds vannacht uit, klanten kunnen niets bestellen.",
    ),
    (
        "nl",
        "major_problem",
        "De medewerkers kunnen nauwelijks werken en de oorzaak is na twee "
        "weken nog steeds onbekend.",
    ),
    (
        "nl",
        "recurring_incidents",
        "Voor de derde keer deze maand valt de koppeling uit, "
        "waardoor facturen niet verstuurd worden.",
    ),
    ("nl", "security_breach", "Er is een datalek: klanten zien de facturen van andere klanten."),
    ("nl", "data_loss", "Na de update zijn 2.000 orderregels verdwenen uit de database."),
    ("nl", "business_risk", "Als dit niet voor vrijdag is opgelost, missen we de livegang."),
    # de
    (
        "de",
        "prolonged_outage",
        "Seit heute Morgen ist unser Kundenportal nicht erreichbar, kein Kunde kann bestellen.",
    ),
    (
        "de",
        "major_problem",
        "Unsere Mitarbeiter können kaum arbeiten und die Ursache ist nach "
        "zwei Wochen immer noch unklar.",
    ),
    (
        "de",
        "recurring_incidents",
        "Schon wieder ist der Druckdienst abgestürzt, zum vierten Mal "
        "diese Woche; die Lagerarbeiter können keine Lieferscheine drucken.",
    ),
    (
        "de",
        "security_breach",
        "Wir haben eine Sicherheitslücke entdeckt: Fremde können ohne "
        "Anmeldung Rechnungen herunterladen.",
    ),
    ("de", "data_loss", "Kundendaten wurden durch einen Fehler gelöscht."),
    (
        "de",
        "business_risk",
        "Unser Go-Live am Montag ist gefährdet, bei Verzug droht eine Vertragsstrafe.",
    ),
    # fr
    (
        "fr",
        "prolonged_outage",
        "Depuis ce matin notre site est en panne, nos clients ne peuvent plus passer de commandes.",
    ),
    (
        "fr",
        "major_problem",
        "Nos collaborateurs sont bloqués toute la journée et la cause est toujours inconnue.",
    ),
    (
        "fr",
        "recurring_incidents",
        "C'est la troisième panne cette semaine, nos agences ne "
        "peuvent pas encaisser les paiements.",
    ),
    (
        "fr",
        "security_breach",
        "Nous avons découvert une faille de sécurité : des utilisateurs "
        "d'un autre client voient nos données.",
    ),
    ("fr", "data_loss", "Après la migration, des milliers de dossiers clients ont été supprimés."),
    (
        "fr",
        "business_risk",
        "Si ce n'est pas résolu avant vendredi, notre mise en production sera reportée.",
    ),
    # es
    (
        "es",
        "prolonged_outage",
        "Desde anoche la tienda online está caída y los clientes no pueden pagar.",
    ),
    (
        "es",
        "major_problem",
        "Nuestros agentes no pueden atender llamadas y todavía no saben la "
        "causa; es un problema grave.",
    ),
    (
        "es",
        "recurring_incidents",
        "Es la tercera caída esta semana y nuestros empleados no pueden fichar.",
    ),
    (
        "es",
        "security_breach",
        "Hemos detectado un acceso no autorizado: se filtraron las credenciales de administrador.",
    ),
    ("es", "data_loss", "Tras la actualización se borraron 800 pedidos de la base de datos."),
    (
        "es",
        "business_risk",
        "Si no se soluciona antes del lunes, perderemos la fecha de "
        "lanzamiento acordada en el contrato.",
    ),
]


@pytest.mark.parametrize(("language", "category", "text"), CATEGORY_CASES)
def test_category_per_language(language: str, category: Category, text: str) -> None:
    impact = detect_impact(text)
    assert impact.present
    assert impact.categories[0] == category
    assert impact.language == language


@pytest.mark.parametrize(
    "text",
    [
        "Sécurité: une faille de sécurité permet un accès non autorisé.",
        "Securite: une faille de securite permet un acces non autorise.",
        "Wir haben eine Sicherheitslücke im Portal.",
        "Wir haben eine Sicherheitsluecke im Portal.",
    ],
)
def test_accents_are_optional(text: str) -> None:
    assert detect_impact(text).categories[:1] == ["security_breach"]


@pytest.mark.parametrize(
    ("text", "category"),
    [
        ("Die Produktionsumgebung ist ausgefallen.", "prolonged_outage"),
        ("Wir haben einen Datenverlust von 3.000 Datensätzen.", "data_loss"),
        ("Der Umsatzausfall liegt bei 15.000 EUR pro Stunde.", "major_problem"),
        ("Onze productieomgeving is onbereikbaar.", "prolonged_outage"),
        ("Er is sprake van gegevensverlies bij klantdossiers.", "data_loss"),
    ],
)
def test_compounds(text: str, category: Category) -> None:
    impact = detect_impact(text)
    assert impact.present
    assert category in impact.categories


# --- not impact ---------------------------------------------------------------------------

NEGATIONS = [
    ("en", "There is no production impact, this only happens on my laptop."),
    ("en", "No data was lost and nothing is down, it is just an annoying warning."),
    ("en", "This is only happening in our staging environment, production is fine."),
    ("en", "Production isn't affected, we only see it in UAT."),
    ("en", "Our customers are not affected; this is a cosmetic issue."),
    ("en", "Not urgent, the test environment only shows a warning."),
    ("nl", "Het probleem zit alleen in onze testomgeving, geen impact op productie."),
    ("nl", "Er zijn geen gegevens verloren gegaan en productie draait gewoon."),
    ("nl", "Er is geen sprake van dataverlies, alleen een vertraging in de rapportage."),
    (
        "de",
        "Das Problem tritt nur in unserer Testumgebung auf, die Produktion ist nicht betroffen.",
    ),
    ("de", "Es gibt keinen Datenverlust und nichts ist ausgefallen."),
    ("de", "Kein Kunde ist betroffen."),
    (
        "fr",
        "Cela se produit uniquement sur l'environnement de recette, pas d'impact en production.",
    ),
    ("fr", "Aucune donnée n'a été perdue et rien n'est en panne."),
    ("fr", "La production n'est pas affectée."),
    ("es", "Solo ocurre en el entorno de pruebas, no hay impacto en producción."),
    ("es", "No hay pérdida de datos, es solo un aviso en pantalla."),
    ("es", "Ningún cliente se ha visto afectado."),
]

ASKING_ONLY = [
    ("en", "Please escalate, this is extremely urgent!!!"),
    ("en", "Any update? Why is this taking so long? I want a manager."),
    ("en", "Can someone look at this ticket, it has been open for a week."),
    ("nl", "Kunnen jullie dit escaleren? Waarom duurt dit zo lang?"),
    ("nl", "Graag een update, ik wil een manager spreken."),
    ("de", "Bitte eskalieren Sie das, warum dauert das so lange?"),
    ("de", "Ich möchte einen Vorgesetzten sprechen. Gibt es ein Update?"),
    ("fr", "Pouvez-vous escalader ce ticket ? Pourquoi est-ce si long ?"),
    ("fr", "Je voudrais parler à un responsable, merci de me donner des nouvelles."),
    ("es", "¿Pueden escalar esto? ¿Por qué tarda tanto?"),
    ("es", "Quiero hablar con un responsable, ¿hay alguna novedad?"),
]

TRIVIAL = [
    ("en", "What if the colour of the button changes after the upgrade?"),
    ("en", "There was an outage last year, but this ticket is just about the logo."),
    ("en", "I am really frustrated and disappointed with your support."),
    ("en", "Hi, NullPointerException in the REST handler at line 42. Could you check?"),
    ("de", "Es handelt sich nur um eine kosmetische Frage, keine Eile."),
]


@pytest.mark.parametrize(("language", "text"), NEGATIONS)
def test_negated_impact_is_not_impact(language: str, text: str) -> None:
    impact = detect_impact(text)
    assert not impact.present, impact.evidence
    assert impact.language == language


@pytest.mark.parametrize(("language", "text"), ASKING_ONLY)
def test_asking_only_is_not_impact(language: str, text: str) -> None:
    assert not detect_impact(text).present


@pytest.mark.parametrize(("language", "text"), TRIVIAL)
def test_emotion_and_trivia_are_not_impact(language: str, text: str) -> None:
    assert not detect_impact(text).present


@pytest.mark.parametrize(
    "text",
    [
        # The negation covers its own clause only.
        "There is no data loss, but customers cannot place orders.",
        "Geen datalek, maar klanten kunnen niet bestellen.",
        "Kein Datenverlust, aber unsere Kunden können nicht bestellen.",
        "Pas de perte de données, mais nos clients ne peuvent pas commander.",
        "No hay pérdida de datos, pero los clientes no pueden pagar.",
    ],
)
def test_negation_is_scoped_to_its_clause(text: str) -> None:
    impact = detect_impact(text)
    assert impact.present
    assert "data_loss" not in impact.categories


@pytest.mark.parametrize(
    "text",
    [
        "Our customers cannot log in.",  # "cannot" is the effect, not a negation
        "Die Mitarbeiter können nicht arbeiten.",
        "Les utilisateurs ne peuvent pas se connecter.",
        "Los usuarios no pueden acceder.",
        "De gebruikers kunnen niet inloggen.",
    ],
)
def test_inability_is_an_effect_not_a_negation(text: str) -> None:
    assert detect_impact(text).production


# --- flags, evidence, language --------------------------------------------------------------


def test_evidence_is_the_original_sentences_that_carry_impact() -> None:
    text = (
        "Hello team. Please escalate this ticket.\n"
        "Our production app has been down since 06:00 CET. "
        "Every hour costs us roughly EUR 20k in delayed billing. Thanks!"
    )
    impact = detect_impact(text)
    assert impact.evidence == [
        "Our production app has been down since 06:00 CET.",
        "Every hour costs us roughly EUR 20k in delayed billing.",
    ]


def test_evidence_keeps_abbreviations_inside_a_sentence() -> None:
    impact = detect_impact(
        "Alle Nutzer sind betroffen, der Umsatzausfall liegt bei ca. 15.000 EUR."
    )
    assert impact.evidence == [
        "Alle Nutzer sind betroffen, der Umsatzausfall liegt bei ca. 15.000 EUR."
    ]


@pytest.mark.parametrize(
    ("text", "production", "business_risk"),
    [
        ("Production is down and no customer can order.", True, False),
        (
            "Our go-live next week is at risk if this is not fixed; we face contract penalties.",
            False,
            True,
        ),
        ("We risk losing all customer data if the migration fails again.", False, True),
        ("Checkout fails for all users, and the launch on Monday will be cancelled.", True, True),
    ],
)
def test_production_and_business_risk_flags(
    text: str, production: bool, business_risk: bool
) -> None:
    impact = detect_impact(text)
    assert impact.present
    assert (impact.production, impact.business_risk) == (production, business_risk)


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("Please can you tell us what is going on with this ticket", "en"),
        ("Kunnen jullie ons laten weten wat er met dit ticket aan de hand is", "nl"),
        ("Können Sie uns bitte sagen, was mit dem Ticket los ist", "de"),
        ("Pouvez-vous nous dire ce qui se passe avec ce ticket", "fr"),
        ("Pueden decirnos qué pasa con este ticket, por favor", "es"),
    ],
)
def test_language_detection(text: str, language: str) -> None:
    assert detect_impact(text).language == language


def test_empty_text() -> None:
    assert detect_impact("   ") == detect_impact("")
    assert not detect_impact("").present


# --- settings -------------------------------------------------------------------------------


def test_extra_terms_add_a_category() -> None:
    settings = ImpactSettings(extra_terms={"major_problem": ["Flux capacitor meltdown"]})
    assert not detect_impact("We have a flux capacitor meltdown.").present
    impact = detect_impact("We have a flux capacitor meltdown.", settings=settings)
    assert impact.categories == ["major_problem"]
    assert impact.production


def test_extra_business_risk_term_is_risk_not_production() -> None:
    settings = ImpactSettings(extra_terms={"business_risk": ["board demo"]})
    impact = detect_impact("The board demo is tomorrow.", settings=settings)
    assert impact.categories == ["business_risk"]
    assert (impact.production, impact.business_risk) == (False, True)


def test_extra_negations_cancel_their_sentence() -> None:
    text = "Production is down for all customers, Demo-Tenant only."
    assert detect_impact(text).present
    settings = ImpactSettings(extra_negations=["demo-tenant only"])
    assert not detect_impact(text, settings=settings).present


def test_languages_setting_limits_the_lexicons() -> None:
    text = "Seit heute Morgen ist unser Kundenportal nicht erreichbar."
    assert detect_impact(text).present
    only_english = ImpactSettings(languages=["en"])
    assert not detect_impact(text, settings=only_english).present


def test_all_languages_are_configured_by_default() -> None:
    assert ImpactSettings().languages == list(LANGUAGES)


# --- clean_text -----------------------------------------------------------------------------

QUOTE_CASES = [
    ("en", "Please escalate.\n\nOn Mon, 3 Jun 2024 at 10:00, Support <s@x.com> wrote:\n> old text"),
    (
        "en",
        "Please escalate.\n\nOn Mon, 3 Jun 2024 at 10:00 Support <\nsupport@x.com> wrote:\nold",
    ),
    ("nl", "Please escalate.\n\nOp ma 3 jun. 2024 om 10:00 schreef Support <s@x.com>:\noud"),
    ("de", "Please escalate.\n\nAm Mo., 3. Juni 2024 um 10:00 Uhr schrieb Support <s@x.com>:\nalt"),
    ("fr", "Please escalate.\n\nLe lun. 3 juin 2024 à 10:00, Support <s@x.com> a écrit :\nvieux"),
    (
        "es",
        "Please escalate.\n\nEl lun, 3 jun 2024 a las 10:00, Support (<s@x.com>) escribió:\nviejo",
    ),
    ("en", "Please escalate.\n\n-----Original Message-----\nFrom: Support\nold"),
    ("en", "Please escalate.\n\nFrom: Support <s@x.com>\nSent: Monday, June 3, 2024 10:00\nold"),
    ("de", "Please escalate.\n\nVon: Support <s@x.com>\nGesendet: Montag, 3. Juni 2024\nalt"),
    ("fr", "Please escalate.\n\nDe : Support <s@x.com>\nEnvoyé : lundi 3 juin 2024\nvieux"),
    ("es", "Please escalate.\n\nDe: Support <s@x.com>\nEnviado: lunes, 3 de junio\nviejo"),
    ("nl", "Please escalate.\n\nVan: Support <s@x.com>\nVerzonden: maandag 3 juni 2024\noud"),
    ("en", "Please escalate.\n##- Please type your reply above this line -##\nold"),
    ("en", "> old quoted line\nPlease escalate.\n> another quoted line"),
]


@pytest.mark.parametrize(("language", "body"), QUOTE_CASES)
def test_quoted_replies_are_removed(language: str, body: str) -> None:
    assert clean_text(body) == "Please escalate."


SIGNATURE_CASES = [
    "Please escalate.\n\n-- \nJohn Smith\n+31 20 123 4567",
    "Please escalate.\n\nBest regards,\nJohn Smith\nAcme | Ticket 55555",
    "Please escalate.\n\nKind regards\nJohn",
    "Please escalate.\n\nMet vriendelijke groet,\nJan de Vries",
    "Please escalate.\n\nMit freundlichen Grüßen\nMax Mustermann",
    "Please escalate.\n\nCordialement,\nJean Dupont",
    "Please escalate.\n\nSaludos,\nAna García",
    "Please escalate.\n\nUn saludo\nAna",
    "Please escalate.\n\nSent from my iPhone",
]


@pytest.mark.parametrize("body", SIGNATURE_CASES)
def test_signatures_are_removed(body: str) -> None:
    assert clean_text(body) == "Please escalate."


DISCLAIMER_CASES = [
    "This e-mail and any attachments are confidential and intended solely for the addressee.",
    "Disclaimer: the content of this message is not binding.",
    "Dit e-mailbericht is uitsluitend bestemd voor de geadresseerde.",
    "Diese E-Mail enthält vertrauliche und/oder rechtlich geschützte Informationen.",
    "Ce message et toutes les pièces jointes sont confidentiels.",
    "Este mensaje y sus anexos son confidenciales.",
]


@pytest.mark.parametrize("disclaimer", DISCLAIMER_CASES)
def test_disclaimers_are_removed(disclaimer: str) -> None:
    body = f"Production is down.\n\n{disclaimer}\nMore legal text about production outages."
    assert clean_text(body) == "Production is down."


def test_html_is_reduced_to_text_without_quotes() -> None:
    html_body = (
        "<div class='zd-comment'><style>p{color:red}</style><p>Our shop is down &amp; "
        "customers can&#39;t pay.</p><blockquote>old reply</blockquote><p>Please help.</p>"
        "<script>alert(1)</script><div class='gmail_quote'>On Mon X wrote:<p>old</p></div></div>"
    )
    assert clean_text("ignored plain text", html_body) == (
        "Our shop is down & customers can't pay.\n\nPlease help."
    )


def test_outlook_reply_container_ends_the_message() -> None:
    html_body = (
        "<p>Production is down.</p><hr><div id='divRplyFwdMsg'><b>From:</b> Support</div>"
        "<div>Old message body</div>"
    )
    assert clean_text("", html_body) == "Production is down."


def test_plain_body_is_used_when_html_is_empty_and_entities_unescaped() -> None:
    assert clean_text("Tom &amp; Jerry are down", "<p> </p>") == "Tom & Jerry are down"


def test_cleaning_keeps_impact_and_drops_quoted_impact() -> None:
    body = "Any update?\n\nOn Tue, Support wrote:\n> Is production down and are customers affected?"
    assert not detect_impact(clean_text(body)).present


# --- broadened lexicons: leak verbs, more record nouns, roles, "cannot" as a risk consequence

BROADENED_CASES: list[tuple[str, Category, str]] = [
    ("en", "data_loss", "The cleanup script deleted the contacts of our sales team."),
    ("nl", "security_breach", "De wachtwoorden van beheerders zijn uitgelekt op een forum."),
    ("nl", "prolonged_outage", "Onze bezorgers zien hun ritten niet meer, dus alles staat stil."),
    ("nl", "business_risk", "De accountant komt morgen en het rapport kan niet worden gemaakt."),
    ("de", "security_breach", "Die Zugangsdaten des Servers sind im Netz aufgetaucht."),
    ("de", "major_problem", "Die Fahrer können keine Lieferscheine mehr abrufen."),
    ("de", "business_risk", "Die Prüfung ist morgen und der Bericht lässt sich nicht erstellen."),
    ("fr", "data_loss", "Les contrats de l'an 2024 ont été effacés par la synchronisation."),
    ("fr", "security_breach", "Les mots de passe des comptes ont fuité sur internet."),
    ("es", "data_loss", "Se borraron las fichas de todos los pacientes."),
    ("es", "business_risk", "El arranque del lunes está en riesgo por este fallo."),
]


@pytest.mark.parametrize(("language", "category", "text"), BROADENED_CASES)
def test_broadened_lexicon_detects(language: str, category: Category, text: str) -> None:
    impact = detect_impact(text)
    assert impact.present, text
    assert category in impact.categories
    assert impact.language == language


# --- wording the first lexicons missed: verb families, not single phrases -------------------

BROADER_WORDING: list[tuple[str, Category, str]] = [
    (
        "en",
        "major_problem",
        "Card payments are declined at every till and customers abandon their baskets.",
    ),
    ("en", "security_breach", "An attacker got into the admin console with stolen credentials."),
    (
        "en",
        "prolonged_outage",
        "The partner API is dead in the water, carriers cannot book pickups.",
    ),
    ("en", "data_loss", "The import overwrote last month's invoices."),
    ("en", "business_risk", "The tax filing is due Friday and the VAT export keeps crashing."),
    ("nl", "major_problem", "De terminals weigeren alle pinbetalingen in onze winkels."),
    (
        "de",
        "prolonged_outage",
        "Seit dem Update lehnen die Terminals in unseren Filialen alle Kartenzahlungen ab.",
    ),
    ("fr", "major_problem", "Le magasin ne peut encaisser aucun paiement, rien ne passe."),
    (
        "es",
        "prolonged_outage",
        "La web lleva tres horas sin funcionar y los clientes no pueden pagar.",
    ),
]


@pytest.mark.parametrize(("language", "category", "text"), BROADER_WORDING)
def test_broader_wording_is_impact(language: str, category: Category, text: str) -> None:
    impact = detect_impact(text)
    assert impact.present, text
    assert impact.categories[0] == category
    assert impact.language == language


PAST_ELSEWHERE = [
    ("en", "Two years ago we lost data with another vendor, hence the question about backups."),
    ("nl", "Vorig jaar zijn we data kwijtgeraakt bij een andere leverancier."),
    ("de", "Letztes Jahr hatten wir einen Datenverlust bei einem anderen Anbieter."),
    ("fr", "L'an dernier nous avons perdu des données chez un autre fournisseur."),
    ("es", "El año pasado perdimos datos con otro proveedor."),
]


@pytest.mark.parametrize(("language", "text"), PAST_ELSEWHERE)
def test_past_data_loss_elsewhere_is_not_impact(language: str, text: str) -> None:
    impact = detect_impact(text)
    assert not impact.present, impact.evidence
    assert impact.language == language


def test_hypothetical_question_states_no_risk() -> None:
    impact = detect_impact("If the server went down during the upgrade, would we lose data?")
    assert not impact.present, impact.evidence


def test_german_word_is_not_read_as_french_security_term() -> None:
    # "brechen … ab" (customers give up) once matched the French "brèche" (breach).
    impact = detect_impact("Kunden brechen den Bestellvorgang ab, weil die Seite 30 Sekunden lädt.")
    assert impact.present
    assert "security_breach" not in impact.categories


# --- business object + failure verb, scale cues, resolved / how-to (round 12) -------------

OBJECT_FAILURE_CASES: list[tuple[str, str]] = [
    ("en", "No new bookings have come in through the partner channel since the release."),
    ("en", "About 60 trucks are sitting idle at the hub because dispatch has no manifests."),
    ("en", "Members are being overcharged on their monthly fee since the pricing update."),
    ("nl", "Het inboeken van retouren lukt niet meer, het magazijn staat vol met dozen."),
    ("nl", "Sinds de update zitten de zendingen voor België vast bij de vervoerder."),
    ("de", "Die Terminbuchung für Patienten geht seit heute Mittag nicht mehr."),
    ("de", "Seit dem Update kommen keine Zahlungen von Marktplatz-Kunden mehr an."),
    ("fr", "Les bons de livraison ne s'impriment plus, les préparateurs sont immobilisés."),
    ("fr", "Nos abonnés paient trop depuis la mise à jour des tarifs."),
    ("es", "Los pedidos de los distribuidores no llegan al almacén desde ayer."),
    ("es", "Las devoluciones se quedan retenidas y los clientes no reciben su dinero."),
]


@pytest.mark.parametrize(("language", "text"), OBJECT_FAILURE_CASES)
def test_business_object_with_failure_verb_is_impact(language: str, text: str) -> None:
    impact = detect_impact(text)
    assert impact.present, text
    assert impact.language == language


# A wrong, missing or doubled result is impact with a sign of scale, not on its own.
WEAK_EFFECT_CASES: list[tuple[str, bool, str]] = [
    ("en", True, "Discounts are wrong for every customer in the loyalty programme."),
    ("en", False, "The customer name on the receipt preview is wrong, please check the font."),
    ("nl", True, "De verzendkosten kloppen niet voor alle klanten in Duitsland."),
    ("nl", False, "De tekst op de klantpagina klopt niet helemaal."),
    ("de", True, "Die Rabatte sind bei allen Kunden falsch berechnet."),
    ("de", False, "Die Anrede in der Kundenmail ist falsch."),
    ("fr", True, "Les remises sont fausses pour tous nos clients professionnels."),
    ("fr", False, "Le libellé du champ client est faux dans le formulaire."),
    ("es", True, "Los descuentos salen mal para todos los clientes del programa."),
    ("es", False, "El título de la ficha de cliente está mal escrito."),
]


@pytest.mark.parametrize(("language", "present", "text"), WEAK_EFFECT_CASES)
def test_weak_effect_needs_scale(language: str, present: bool, text: str) -> None:
    impact = detect_impact(text)
    assert impact.present is present, (text, impact.evidence)
    assert impact.language == language


NOT_IMPACT_ROUND_12 = [
    ("en", "How do I stop duplicate invoices from being sent to the same customer?"),
    ("en", "Payments were failing for customers this morning, but it was fixed an hour ago."),
    ("nl", "De betalingen lagen vanochtend plat, maar dat is inmiddels opgelost."),
    ("de", "Bei der Abnahme bricht der Export ab, die Produktion ist nicht betroffen."),
    ("fr", "Comment puis-je fusionner les clients qui sont en double dans notre base ?"),
    ("es", "Las facturas fallan en el entorno de pruebas, producción no está afectada."),
]


@pytest.mark.parametrize(("language", "text"), NOT_IMPACT_ROUND_12)
def test_how_to_resolved_and_unaffected_production_are_not_impact(language: str, text: str) -> None:
    impact = detect_impact(text)
    assert not impact.present, impact.evidence
    assert impact.language == language


def test_still_unresolved_is_not_read_as_resolved() -> None:
    impact = detect_impact("It is still not resolved and customers cannot pay at checkout.")
    assert impact.present


@pytest.mark.parametrize(
    "text",
    [
        "Since last month customers cannot pay in our webshop.",
        "Sinds vorige maand kunnen klanten niet betalen.",
        "Seit letzten Monat können Kunden nicht bezahlen.",
        "Depuis le mois dernier nos clients ne peuvent plus payer.",
        "Desde el mes pasado los clientes no pueden pagar.",
    ],
)
def test_an_ongoing_problem_since_last_month_is_not_a_past_one(text: str) -> None:
    # "since last month" starts an ongoing problem; only "last month we had ..." is history.
    assert detect_impact(clean_text(text)).present


# --- round 13: subject quantifiers, verb-final clauses, negated passives --------------------

QUANTIFIER_AND_CLAUSE_CASES: list[tuple[str, str, bool]] = [
    ("en", "No store can take card payments since this morning.", True),
    ("en", "Our clinics receive no lab results from the portal anymore.", True),
    ("nl", "Geen enkele vestiging kan vandaag facturen maken.", True),
    ("nl", "Er worden sinds gisteren geen bestellingen doorgestuurd naar de vervoerders.", True),
    (
        "nl",
        "Dit is de derde keer dat de koppeling uitvalt; telkens kunnen onze klanten niet betalen.",
        True,
    ),
    ("de", "Kein einziger Standort kann heute Rechnungen drucken.", True),
    ("de", "Unsere Außendienstmitarbeiter können keine Angebote mehr erstellen.", True),
    ("fr", "Aucune agence ne peut ouvrir de nouveaux contrats depuis ce matin.", True),
    ("fr", "Les clients repartent sans rien acheter, la caisse est bloquée.", True),
    ("es", "Ninguna sucursal puede emitir facturas desde esta mañana.", True),
    ("es", "Cualquier usuario puede ver las nóminas de otros empleados.", True),
    # still not impact
    ("en", "No customer is affected, this only happens in our test environment.", False),
    ("nl", "Geen enkele klant heeft last van deze melding.", False),
    ("fr", "Aucun client n'est impacté, c'est uniquement en recette.", False),
    ("es", "Ningún cliente está afectado, solo pasa en el entorno de pruebas.", False),
]


@pytest.mark.parametrize(("language", "text", "impact"), QUANTIFIER_AND_CLAUSE_CASES)
def test_quantifier_and_clause_shapes(language: str, text: str, impact: bool) -> None:
    result = detect_impact(text)
    assert result.present is impact, (language, text, result)


def test_prepare_compiles_what_detect_impact_then_uses() -> None:
    settings = ImpactSettings(languages=["es", "fr"], extra_negations=["solo en pruebas"])
    detect._lexicon.cache_clear()
    detect._extras.cache_clear()

    prepare(settings)
    compiled = (detect._lexicon.cache_info().misses, detect._extras.cache_info().misses)
    impact = detect_impact("La producción está caída desde las 9h.", settings=settings)

    assert compiled == (1, 1)
    assert (detect._lexicon.cache_info().misses, detect._extras.cache_info().misses) == compiled
    assert impact.present
