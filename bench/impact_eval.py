# ruff: noqa: E501  (the labelled sentences are data, kept one per line)
"""Precision / recall / F1 of business-impact detection, per language.

Runs on the shared labelled corpus (`../shared/corpus/impact-examples.jsonl` from the repo root)
and on a private set written independently of it, so tuning on one is visible on the other.

    .venv/bin/python bench/impact_eval.py [path/to/examples.jsonl]
"""

from __future__ import annotations

import json
import sys
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from app.rules.detect import detect_impact

CORPUS = Path(__file__).resolve().parents[1].parent / "shared" / "corpus" / "impact-examples.jsonl"
# Held-out sets, each written fresh before it was first run: _1 before the lexicon broadening
# (first run: precision 1.00, recall 0.75), _2 after it (first run: precision 0.86, recall 0.62),
# _3 after that (first run: precision 0.90, recall 0.61). _2 and _3 were then used to find the
# missing verb families and phrasings, so they no longer measure unseen wording: BLIND does.
# _4 was written fresh before round 12 (first run: precision 0.90, recall 0.80); its misses were
# then looked at while broadening object + failure-verb coverage, so it is no longer blind either.
# _5 was written fresh before round 13 (first run: precision 1.00, recall 0.80; BLIND then 0.55);
# its misses were then looked at (quantifier subjects, verb-final clauses), so it is not blind.
HELD_OUT_SETS = sorted(
    (Path(__file__).resolve().parents[1] / "tests" / "rules" / "data").glob(
        "impact_heldout_*.jsonl"
    )
)

# (lang, text, impact, primary category or None). Written without looking at the corpus wording.
PRIVATE: list[tuple[str, str, bool, str | None]] = [
    # --- en
    (
        "en",
        "Our warehouse scanners lost connection to the platform at 7am and no pallets have shipped since.",
        True,
        "prolonged_outage",
    ),
    (
        "en",
        "Payments through the iDEAL integration are rejected for every customer; we are losing about 300 orders an hour.",
        True,
        "major_problem",
    ),
    (
        "en",
        "The platform crashed again tonight, the third crash this week. Our stores could not process sales for two hours.",
        True,
        "recurring_incidents",
    ),
    (
        "en",
        "A former employee can still log in and download customer contracts. Unauthorised access is ongoing and we have no workaround.",
        True,
        "security_breach",
    ),
    (
        "en",
        "The nightly sync deleted 4,500 patient appointments; the records are gone from the database.",
        True,
        "data_loss",
    ),
    (
        "en",
        "We must be live before the regulator's deadline on 30 June, otherwise we face penalties.",
        True,
        "business_risk",
    ),
    ("en", "This is only happening in our staging environment, production is fine.", False, None),
    ("en", "No data was lost and nothing is down, it is just an annoying warning.", False, None),
    ("en", "Why is this taking so long? I want to speak to a manager.", False, None),
    ("en", "Could someone please look at this ticket, it has been open for a week.", False, None),
    ("en", "What if the colour of the button changes after the upgrade?", False, None),
    ("en", "Please escalate, this is extremely urgent!!!", False, None),
    # --- nl
    (
        "nl",
        "Onze webshop ligt er al sinds vannacht uit, klanten kunnen niets bestellen.",
        True,
        "prolonged_outage",
    ),
    (
        "nl",
        "Er is een datalek: klanten zien de facturen van andere klanten.",
        True,
        "security_breach",
    ),
    ("nl", "Na de update zijn 2.000 orderregels verdwenen uit de database.", True, "data_loss"),
    (
        "nl",
        "Voor de derde keer deze maand valt de koppeling met SAP uit, waardoor facturen niet verstuurd worden.",
        True,
        "recurring_incidents",
    ),
    (
        "nl",
        "Als dit niet voor vrijdag is opgelost, missen we de livegang en krijgen we een boete.",
        True,
        "business_risk",
    ),
    ("nl", "Het probleem zit alleen in onze testomgeving, geen impact op productie.", False, None),
    ("nl", "Kunnen jullie dit escaleren? Waarom duurt dit zo lang?", False, None),
    ("nl", "Er zijn geen gegevens verloren gegaan en productie draait gewoon.", False, None),
    ("nl", "Graag een update, ik wil een manager spreken.", False, None),
    (
        "nl",
        "De medewerkers van het callcenter kunnen niet inloggen, de hele afdeling staat stil.",
        True,
        "prolonged_outage",
    ),
    # --- de
    (
        "de",
        "Seit heute Morgen ist unser Kundenportal nicht erreichbar, kein Kunde kann Bestellungen aufgeben.",
        True,
        "prolonged_outage",
    ),
    (
        "de",
        "Wir haben eine Sicherheitslücke entdeckt: Fremde können ohne Anmeldung Rechnungen herunterladen.",
        True,
        "security_breach",
    ),
    (
        "de",
        "Beim Import wurden 3.000 Datensätze überschrieben, ein Datenverlust im Produktivsystem.",
        True,
        "data_loss",
    ),
    (
        "de",
        "Schon wieder ist der Druckdienst abgestürzt, zum vierten Mal diese Woche; die Lagerarbeiter können keine Lieferscheine drucken.",
        True,
        "recurring_incidents",
    ),
    (
        "de",
        "Unser Go-Live am Montag ist gefährdet, bei Verzug droht eine Vertragsstrafe.",
        True,
        "business_risk",
    ),
    (
        "de",
        "Das Problem tritt nur in unserer Testumgebung auf, die Produktion ist nicht betroffen.",
        False,
        None,
    ),
    ("de", "Bitte eskalieren Sie das, warum dauert das so lange?", False, None),
    ("de", "Es gibt keinen Datenverlust und nichts ist ausgefallen.", False, None),
    ("de", "Ich möchte einen Vorgesetzten sprechen. Gibt es ein Update?", False, None),
    (
        "de",
        "Die Performance ist seit dem Upgrade so schlecht, dass unsere Mitarbeiter kaum arbeiten können und die Ursache ist nach zwei Wochen immer noch unklar.",
        True,
        "major_problem",
    ),
    # --- fr
    (
        "fr",
        "Depuis ce matin notre site de vente est en panne, nos clients ne peuvent plus passer de commandes.",
        True,
        "prolonged_outage",
    ),
    (
        "fr",
        "Nous avons découvert une faille de sécurité : des utilisateurs d'un autre client voient nos données.",
        True,
        "security_breach",
    ),
    (
        "fr",
        "Après la migration, des milliers de dossiers clients ont été supprimés.",
        True,
        "data_loss",
    ),
    (
        "fr",
        "C'est la troisième panne cette semaine, nos agences ne peuvent pas encaisser les paiements.",
        True,
        "recurring_incidents",
    ),
    (
        "fr",
        "Si ce n'est pas résolu avant vendredi, notre mise en production sera reportée et nous aurons des pénalités.",
        True,
        "business_risk",
    ),
    (
        "fr",
        "Cela se produit uniquement sur l'environnement de recette, pas d'impact en production.",
        False,
        None,
    ),
    ("fr", "Pouvez-vous escalader ce ticket ? Pourquoi est-ce si long ?", False, None),
    ("fr", "Aucune donnée n'a été perdue et rien n'est en panne.", False, None),
    ("fr", "Je voudrais parler à un responsable, merci de me donner des nouvelles.", False, None),
    (
        "fr",
        "Les temps de réponse sont catastrophiques, nos collaborateurs sont bloqués toute la journée et la cause est toujours inconnue.",
        True,
        "major_problem",
    ),
    # --- es
    (
        "es",
        "Desde anoche la tienda online está caída y los clientes no pueden pagar.",
        True,
        "prolonged_outage",
    ),
    (
        "es",
        "Hemos detectado un acceso no autorizado: se filtraron las credenciales de administrador.",
        True,
        "security_breach",
    ),
    ("es", "Tras la actualización se borraron 800 pedidos de la base de datos.", True, "data_loss"),
    (
        "es",
        "Es la tercera caída esta semana y nuestros empleados no pueden fichar.",
        True,
        "recurring_incidents",
    ),
    (
        "es",
        "Si no se soluciona antes del lunes, perderemos la fecha de lanzamiento acordada en el contrato.",
        True,
        "business_risk",
    ),
    ("es", "Solo ocurre en el entorno de pruebas, no hay impacto en producción.", False, None),
    ("es", "¿Pueden escalar esto? ¿Por qué tarda tanto?", False, None),
    ("es", "No se ha perdido ningún dato y nada está caído.", False, None),
    ("es", "Quiero hablar con un responsable, ¿hay alguna novedad?", False, None),
    (
        "es",
        "El sistema va tan lento que nuestros agentes no pueden atender llamadas y todavía no saben la causa; es un problema grave.",
        True,
        "major_problem",
    ),
]


# Written after the lexicons, in three batches, each run once before any fix. First runs:
# 27/32, 27/28 and 24/28 right; all 10 misses were missed impact (no false positives), i.e.
# precision 1.00 and recall 0.77 (34/44) on unseen sentences. Impact only, no category.
HELD_OUT: list[tuple[str, str, bool, str | None]] = [
    ("en", "The API gateway returns 503 for all our tenants, nobody can sign in.", True, None),
    (
        "en",
        "Our nurses cannot open patient charts on the ward tablets since the update on Monday.",
        True,
        None,
    ),
    (
        "en",
        "Invoices have been sent twice to 8,000 customers because of the duplicate job.",
        True,
        None,
    ),
    ("en", "It's not a big deal, the dashboard just loads a bit slowly sometimes.", False, None),
    ("en", "Hi team, any news on this one? It's been two weeks.", False, None),
    (
        "en",
        "Someone from another company could see our employee salaries in the report module.",
        True,
        None,
    ),
    ("en", "The migration wiped the audit trail of the last three months.", True, None),
    ("en", "We are fine for now, nothing urgent, but please keep me posted.", False, None),
    ("en", "I am really frustrated and disappointed with your support.", False, None),
    (
        "en",
        "The integration keeps failing every night, so our drivers start their routes without delivery lists.",
        True,
        None,
    ),
    (
        "en",
        "If we don't get a fix by the 15th, our year-end closing will be delayed and the auditors will flag it.",
        True,
        None,
    ),
    ("en", "Production isn't affected, we only see it in UAT.", False, None),
    (
        "nl",
        "Sinds de release van gisteren kunnen onze klanten geen afspraken meer maken.",
        True,
        None,
    ),
    ("nl", "Het is geen productieprobleem, alleen een vraag over de documentatie.", False, None),
    ("nl", "Wanneer krijgen we eindelijk een reactie? Dit duurt veel te lang.", False, None),
    ("nl", "Door de storing lopen we dagelijks zo'n 10.000 euro omzet mis.", True, None),
    (
        "nl",
        "Iedereen buiten de organisatie kan de beheerpagina openen zonder in te loggen.",
        True,
        None,
    ),
    ("de", "Unsere Kassen in allen 120 Filialen sind seit Stunden offline.", True, None),
    ("de", "Es handelt sich nur um eine kosmetische Frage, keine Eile.", False, None),
    ("de", "Können Sie bitte einen Manager hinzuziehen? Wir warten schon lange.", False, None),
    (
        "de",
        "Die nächtliche Schnittstelle bricht immer wieder ab, sodass Rechnungen nicht versendet werden.",
        True,
        None,
    ),
    (
        "de",
        "Wenn das nicht bis Freitag behoben ist, verschiebt sich unser Livegang und wir verlieren den Kunden.",
        True,
        None,
    ),
    ("fr", "Nos utilisateurs ne peuvent pas se connecter depuis hier soir.", True, None),
    ("fr", "Ce n'est pas urgent, c'est juste une question sur la configuration.", False, None),
    ("fr", "Merci de faire remonter ce ticket à un manager.", False, None),
    (
        "fr",
        "Des mots de passe sont visibles en clair dans les journaux de l'application.",
        True,
        None,
    ),
    ("fr", "La synchronisation a écrasé les fiches de 2 000 patients.", True, None),
    (
        "es",
        "Nuestra plataforma de reservas no funciona y estamos perdiendo ventas cada hora.",
        True,
        None,
    ),
    ("es", "No es urgente, solo una pregunta sobre la licencia.", False, None),
    ("es", "Por favor, escalen este caso, necesito hablar con un supervisor.", False, None),
    (
        "es",
        "Los datos de nómina de todos los empleados se han corrompido tras la actualización.",
        True,
        None,
    ),
    (
        "es",
        "Si no está resuelto antes del viernes, no podremos cumplir con el plazo del regulador.",
        True,
        None,
    ),
    (
        "en",
        "There is no impact on our customers at the moment, but we would like a fix.",
        False,
        None,
    ),
    (
        "en",
        "Our customers are not affected; this is a cosmetic issue in the admin screen.",
        False,
        None,
    ),
    ("en", "I do not understand why our customers still cannot pay after three days.", True, None),
    ("en", "Users report the app is slow.", True, None),
    ("en", "The button label has a typo.", False, None),
    ("en", "Could you check why the export takes 5 minutes? No business impact.", False, None),
    (
        "en",
        "All 250 call-centre staff are unable to take calls; the phone integration has been down for 4 hours.",
        True,
        None,
    ),
    ("en", "The sandbox is down but production works fine.", False, None),
    ("en", "Please treat this as P1. Thanks.", False, None),
    (
        "en",
        "We have lost about EUR 50,000 in sales since Friday because the checkout is broken.",
        True,
        None,
    ),
    ("en", "This ticket was opened 10 days ago and nobody has responded.", False, None),
    ("en", "What if the server goes down during the upgrade window?", False, None),
    (
        "nl",
        "Er is geen sprake van dataverlies, alleen een vertraging in de rapportage.",
        False,
        None,
    ),
    (
        "nl",
        "Onze klanten ontvangen geen bevestigingsmails meer, waardoor ze bestellingen dubbel plaatsen.",
        True,
        None,
    ),
    ("nl", "Het gaat om een kleine vraag, niets dringends.", False, None),
    (
        "de",
        "Die Produktion läuft normal, das Problem betrifft nur unsere Entwicklungsumgebung.",
        False,
        None,
    ),
    (
        "de",
        "Seit dem Wochenende können 400 Mitarbeiter ihre Arbeitszeiten nicht erfassen.",
        True,
        None,
    ),
    ("de", "Warum bekomme ich keine Antwort? Ich erwarte einen Rückruf.", False, None),
    ("de", "Kundendaten wurden durch einen Fehler gelöscht.", True, None),
    (
        "fr",
        "Il n'y a aucun impact sur la production, c'est seulement sur notre poste local.",
        False,
        None,
    ),
    ("fr", "Nos factures ne sont plus envoyées aux clients depuis lundi.", True, None),
    ("fr", "Le client final est très mécontent et menace de résilier son contrat.", True, None),
    ("fr", "Pourquoi personne ne répond à ce ticket ?", False, None),
    ("es", "No hay pérdida de datos, es solo un aviso en pantalla.", False, None),
    ("es", "Los usuarios no pueden acceder a la aplicación desde esta mañana.", True, None),
    ("es", "Ningún cliente se ha visto afectado.", False, None),
    ("es", "¿Alguien puede revisar esto? Llevamos días esperando.", False, None),
    (
        "es",
        "Hemos sufrido una brecha de seguridad y los datos de clientes están expuestos.",
        True,
        None,
    ),
    (
        "en",
        "Since the certificate expired this morning, none of our mobile app users can log in.",
        True,
        None,
    ),
    (
        "en",
        "Our finance team cannot close the quarter because the reports module returns wrong totals.",
        True,
        None,
    ),
    ("en", "The import has silently dropped half of yesterday's orders.", True, None),
    ("en", "Hackers used the exposed endpoint to download invoices.", True, None),
    (
        "en",
        "The release to the App Store is due on the 20th and we are blocked by this bug.",
        True,
        None,
    ),
    (
        "en",
        "Every Monday morning the sync hangs and 50 warehouse staff wait for hours.",
        True,
        None,
    ),
    ("en", "I'd appreciate it if someone senior could take a look.", False, None),
    ("en", "Just checking in - is there any progress?", False, None),
    (
        "en",
        "It's a minor layout glitch on the settings page, nobody is really bothered.",
        False,
        None,
    ),
    (
        "en",
        "We have had zero downtime since the fix, thanks! Please close the ticket.",
        False,
        None,
    ),
    ("en", "The issue is only reproducible on our dev server, not in production.", False, None),
    ("en", "Could you explain how the retry mechanism works?", False, None),
    (
        "nl",
        "Al drie dagen kunnen onze monteurs hun werkbonnen niet afsluiten, facturatie ligt stil.",
        True,
        None,
    ),
    (
        "nl",
        "De koppeling met de bank faalt, waardoor salarissen niet uitbetaald kunnen worden.",
        True,
        None,
    ),
    ("nl", "Ik wil graag weten wanneer iemand hiernaar kijkt.", False, None),
    ("nl", "Geen haast, het is een verbetervoorstel.", False, None),
    (
        "de",
        "Unsere Callcenter-Agenten können seit 9 Uhr keine Kundendaten mehr aufrufen.",
        True,
        None,
    ),
    ("de", "Mehrere Kunden haben gemeldet, dass sie fremde Rechnungen sehen können.", True, None),
    ("de", "Wann bekomme ich endlich eine Antwort?", False, None),
    ("de", "Das ist nur ein Schönheitsfehler in der Testumgebung.", False, None),
    (
        "fr",
        "Le portail client est inaccessible depuis deux jours et nous perdons des ventes.",
        True,
        None,
    ),
    ("fr", "Les paiements par carte sont refusés pour tous nos clients.", True, None),
    ("fr", "Je relance ce ticket, merci de revenir vers moi.", False, None),
    ("fr", "Ce n'est qu'une question de documentation, rien d'urgent.", False, None),
    (
        "es",
        "La integración con el ERP falla cada noche y los pedidos no se envían a los clientes.",
        True,
        None,
    ),
    (
        "es",
        "Se ha expuesto información personal de nuestros clientes en un enlace público.",
        True,
        None,
    ),
    ("es", "¿Me pueden dar una actualización? Gracias.", False, None),
    ("es", "Es un detalle estético, nada grave.", False, None),
]


# Written after the tuning on _2 and _3 and never tuned on: the honest figure for wording the
# lexicons have not seen (first run: precision 1.00, recall 0.45; the code before the tuning
# scored 1.00 / 0.38). Do not add phrases because of a miss here; write a fresh set instead.
BLIND: list[tuple[str, str, bool, str | None]] = [
    (
        "en",
        "Since the certificate renewal our drivers' handhelds refuse to sync, so no deliveries are being confirmed.",
        True,
        None,
    ),
    (
        "en",
        "The booking widget on our hotel site shows no availability at all, we have had zero reservations since Sunday.",
        True,
        None,
    ),
    (
        "en",
        "Our contact-centre phones drop every call after ten seconds; agents are unable to help anyone.",
        True,
        None,
    ),
    (
        "en",
        "Someone used a leaked service-account token to download our entire customer list.",
        True,
        None,
    ),
    (
        "en",
        "Half of yesterday's timesheets vanished after the upgrade and payroll closes tomorrow.",
        True,
        None,
    ),
    (
        "en",
        "Report generation now takes over an hour instead of two minutes and the finance team is stuck.",
        True,
        None,
    ),
    ("en", "The PDF export still cuts off the footer, not a big deal.", False, None),
    ("en", "Can you let me know the ETA for a fix? Thanks.", False, None),
    ("en", "We had a similar crash back in 2021 but it never came back.", False, None),
    ("en", "Could you escalate to engineering? I'd like a second opinion.", False, None),
    ("en", "Would the API rate limit apply to our sandbox tenant as well?", False, None),
    (
        "en",
        "Everything is running fine in production; this is only about the demo instance.",
        False,
        None,
    ),
    (
        "nl",
        "Sinds vannacht kunnen patiënten geen afspraken meer maken via het portaal.",
        True,
        None,
    ),
    (
        "nl",
        "De koppeling met de vervoerder is kapot, er worden geen verzendlabels aangemaakt en de pakketten blijven liggen.",
        True,
        None,
    ),
    (
        "nl",
        "Een oud-medewerker kan nog steeds inloggen en heeft klantgegevens gedownload.",
        True,
        None,
    ),
    ("nl", "Het systeem is al drie keer deze week gecrasht tijdens de avondspits.", True, None),
    (
        "nl",
        "De nieuwe versie rekent verkeerde btw-bedragen, al onze facturen van deze week kloppen niet.",
        True,
        None,
    ),
    ("nl", "Wanneer komt de volgende release uit?", False, None),
    ("nl", "Mijn collega vraagt of de handleiding ook in het Engels bestaat.", False, None),
    ("nl", "Graag opschalen naar een teamleider, ik ben het wachten zat.", False, None),
    (
        "nl",
        "In het verleden hadden we hier ook last van, maar sinds de patch niet meer.",
        False,
        None,
    ),
    ("nl", "Het lettertype in de e-mailtemplate is iets te klein.", False, None),
    ("nl", "Stel dat de database volloopt, krijgen we dan een melding?", False, None),
    ("nl", "Geen spoed, de acceptatieomgeving mag ook volgende week.", False, None),
    (
        "de",
        "Seit dem Wartungsfenster können unsere Techniker keine Serviceaufträge mehr abschließen.",
        True,
        None,
    ),
    (
        "de",
        "Der Webshop zeigt allen Kunden leere Warenkörbe an, Bestellungen sind unmöglich.",
        True,
        None,
    ),
    (
        "de",
        "Im Log stehen Kreditkartennummern im Klartext und das Log ist öffentlich abrufbar.",
        True,
        None,
    ),
    ("de", "Die Synchronisation hat die Preise von 3.000 Artikeln auf null gesetzt.", True, None),
    ("de", "Die Plattform fällt nun täglich gegen 14 Uhr für eine halbe Stunde aus.", True, None),
    (
        "de",
        "Die Messe beginnt am Montag und die Registrierung der Besucher funktioniert nicht.",
        True,
        None,
    ),
    ("de", "Wie exportiere ich die Benutzerliste als CSV?", False, None),
    ("de", "Ich bitte um Rückruf durch einen Teamleiter.", False, None),
    (
        "de",
        "Vor zwei Jahren hatten wir einen ähnlichen Ausfall, das ist aber erledigt.",
        False,
        None,
    ),
    ("de", "Nur eine Frage: unterstützt die App den Dunkelmodus?", False, None),
    ("de", "Was wäre, wenn wir die Lizenz kündigen?", False, None),
    ("de", "Der Fehler betrifft nur unser Entwicklungssystem, keine Eile.", False, None),
    (
        "fr",
        "Depuis ce matin, les caisses de nos magasins n'arrivent plus à encaisser les clients.",
        True,
        None,
    ),
    (
        "fr",
        "Les ordonnances envoyées aux pharmacies sont perdues et doivent être ressaisies.",
        True,
        None,
    ),
    (
        "fr",
        "Un ancien prestataire a toujours accès à notre base clients avec ses identifiants.",
        True,
        None,
    ),
    (
        "fr",
        "Les virements fournisseurs sont rejetés par la banque pour la deuxième fois cette semaine.",
        True,
        None,
    ),
    (
        "fr",
        "La plateforme est tellement lente que nos conseillers ne peuvent plus traiter les appels.",
        True,
        None,
    ),
    (
        "fr",
        "Le salon professionnel ouvre demain et l'inscription des visiteurs est en panne.",
        True,
        None,
    ),
    ("fr", "Pourriez-vous m'indiquer où trouver la documentation ?", False, None),
    ("fr", "J'aimerais que ce ticket soit traité par un responsable.", False, None),
    ("fr", "Il y a deux ans nous avons connu une panne similaire, résolue depuis.", False, None),
    ("fr", "Et si nous passions à l'offre supérieure ?", False, None),
    ("fr", "Le souci ne concerne que notre environnement de test, aucun impact.", False, None),
    ("fr", "La couleur du bandeau ne correspond pas à notre charte.", False, None),
    (
        "es",
        "Desde el cambio de servidor, los alumnos no pueden entregar los exámenes en la plataforma.",
        True,
        None,
    ),
    (
        "es",
        "El sistema de reservas duplica las citas y los pacientes llegan a la misma hora.",
        True,
        None,
    ),
    ("es", "Hemos detectado accesos no autorizados a las cuentas de varios clientes.", True, None),
    ("es", "La sincronización ha borrado los contactos de todo el equipo comercial.", True, None),
    ("es", "La web va tan lenta que los clientes abandonan la compra antes de pagar.", True, None),
    ("es", "Es la cuarta caída de la semana y cada vez perdemos pedidos.", True, None),
    ("es", "¿Cuándo estará disponible la nueva versión?", False, None),
    ("es", "Necesito hablar con un supervisor, por favor.", False, None),
    ("es", "Hace dos años tuvimos un problema parecido, pero ya está solucionado.", False, None),
    ("es", "¿Y si cambiamos el método de autenticación?", False, None),
    ("es", "Solo pasa en el entorno de pruebas, producción está bien.", False, None),
    ("es", "El botón de ayuda tiene una errata.", False, None),
]


def _load_corpus(path: Path) -> list[tuple[str, str, bool, str | None]]:
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            item = json.loads(line)
            lang = item.get("language") or item["lang"]
            rows.append((lang, item["text"], bool(item["impact"]), item.get("category")))
    return rows


def _report(name: str, rows: list[tuple[str, str, bool, str | None]], *, verbose: bool) -> None:
    counts: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for lang, text, expected, category in rows:
        impact = detect_impact(text)
        for key in (lang, "all"):
            c = counts[key]
            c["n"] += 1
            c["tp"] += impact.present and expected
            c["fp"] += impact.present and not expected
            c["fn"] += expected and not impact.present
            if expected and impact.present and category is not None:
                c["cat_ok"] += bool(impact.categories) and impact.categories[0] == category
                c["cat_n"] += 1
        wrong = impact.present != expected or (
            expected and category is not None and impact.categories[:1] != [category]
        )
        if verbose and wrong:
            print(
                f"  MISS [{lang}] expected={expected}/{category} got={impact.present}/"
                f"{impact.categories} :: {text[:110]}"
            )
    print(f"\n{name}")
    print(f"{'lang':<5} {'n':>3} {'prec':>6} {'recall':>6} {'F1':>6} {'category':>9}")
    for lang in [*sorted(k for k in counts if k != "all"), "all"]:
        c = counts[lang]
        p = c["tp"] / (c["tp"] + c["fp"]) if c["tp"] + c["fp"] else 1.0
        r = c["tp"] / (c["tp"] + c["fn"]) if c["tp"] + c["fn"] else 1.0
        f1 = 2 * p * r / (p + r) if p + r else 0.0
        cat = f"{c['cat_ok']}/{c['cat_n']}" if c["cat_n"] else "-"
        print(f"{lang:<5} {c['n']:>3} {p:>6.2f} {r:>6.2f} {f1:>6.2f} {cat:>9}")


def main() -> int:
    verbose = "-v" in sys.argv
    args = [a for a in sys.argv[1:] if a != "-v"]
    path = Path(args[0]) if args else CORPUS
    if path.exists():
        _report(f"corpus: {path}", _load_corpus(path), verbose=verbose)
    else:
        print(
            f"corpus not found at {path} (expected ../shared/corpus/impact-examples.jsonl "
            "relative to the repo root); pass a path as the first argument"
        )
    _report("private set (bench/impact_eval.py PRIVATE)", PRIVATE, verbose=verbose)
    _report("held-out batches (bench/impact_eval.py HELD_OUT)", HELD_OUT, verbose=verbose)
    _report("blind set (bench/impact_eval.py BLIND, never tuned on)", BLIND, verbose=verbose)
    for held_out in HELD_OUT_SETS:
        _report(f"held-out set: {held_out.name}", _load_corpus(held_out), verbose=verbose)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
