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

from app.rules.detect import detect_impact  # noqa: E402

CORPUS = Path(__file__).resolve().parents[1].parent / "shared" / "corpus" / "impact-examples.jsonl"

# (lang, text, impact, primary category or None). Written without looking at the corpus wording.
PRIVATE: list[tuple[str, str, bool, str | None]] = [
    # --- en
    ("en", "Our warehouse scanners lost connection to the platform at 7am and no pallets have shipped since.", True, "prolonged_outage"),
    ("en", "Payments through the iDEAL integration are rejected for every customer; we are losing about 300 orders an hour.", True, "major_problem"),
    ("en", "The platform crashed again tonight, the third crash this week. Our stores could not process sales for two hours.", True, "recurring_incidents"),
    ("en", "A former employee can still log in and download customer contracts. Unauthorised access is ongoing and we have no workaround.", True, "security_breach"),
    ("en", "The nightly sync deleted 4,500 patient appointments; the records are gone from the database.", True, "data_loss"),
    ("en", "We must be live before the regulator's deadline on 30 June, otherwise we face penalties.", True, "business_risk"),
    ("en", "This is only happening in our staging environment, production is fine.", False, None),
    ("en", "No data was lost and nothing is down, it is just an annoying warning.", False, None),
    ("en", "Why is this taking so long? I want to speak to a manager.", False, None),
    ("en", "Could someone please look at this ticket, it has been open for a week.", False, None),
    ("en", "What if the colour of the button changes after the upgrade?", False, None),
    ("en", "Please escalate, this is extremely urgent!!!", False, None),
    # --- nl
    ("nl", "Onze webshop ligt er al sinds vannacht uit, klanten kunnen niets bestellen.", True, "prolonged_outage"),
    ("nl", "Er is een datalek: klanten zien de facturen van andere klanten.", True, "security_breach"),
    ("nl", "Na de update zijn 2.000 orderregels verdwenen uit de database.", True, "data_loss"),
    ("nl", "Voor de derde keer deze maand valt de koppeling met SAP uit, waardoor facturen niet verstuurd worden.", True, "recurring_incidents"),
    ("nl", "Als dit niet voor vrijdag is opgelost, missen we de livegang en krijgen we een boete.", True, "business_risk"),
    ("nl", "Het probleem zit alleen in onze testomgeving, geen impact op productie.", False, None),
    ("nl", "Kunnen jullie dit escaleren? Waarom duurt dit zo lang?", False, None),
    ("nl", "Er zijn geen gegevens verloren gegaan en productie draait gewoon.", False, None),
    ("nl", "Graag een update, ik wil een manager spreken.", False, None),
    ("nl", "De medewerkers van het callcenter kunnen niet inloggen, de hele afdeling staat stil.", True, "prolonged_outage"),
    # --- de
    ("de", "Seit heute Morgen ist unser Kundenportal nicht erreichbar, kein Kunde kann Bestellungen aufgeben.", True, "prolonged_outage"),
    ("de", "Wir haben eine Sicherheitslücke entdeckt: Fremde können ohne Anmeldung Rechnungen herunterladen.", True, "security_breach"),
    ("de", "Beim Import wurden 3.000 Datensätze überschrieben, ein Datenverlust im Produktivsystem.", True, "data_loss"),
    ("de", "Schon wieder ist der Druckdienst abgestürzt, zum vierten Mal diese Woche; die Lagerarbeiter können keine Lieferscheine drucken.", True, "recurring_incidents"),
    ("de", "Unser Go-Live am Montag ist gefährdet, bei Verzug droht eine Vertragsstrafe.", True, "business_risk"),
    ("de", "Das Problem tritt nur in unserer Testumgebung auf, die Produktion ist nicht betroffen.", False, None),
    ("de", "Bitte eskalieren Sie das, warum dauert das so lange?", False, None),
    ("de", "Es gibt keinen Datenverlust und nichts ist ausgefallen.", False, None),
    ("de", "Ich möchte einen Vorgesetzten sprechen. Gibt es ein Update?", False, None),
    ("de", "Die Performance ist seit dem Upgrade so schlecht, dass unsere Mitarbeiter kaum arbeiten können und die Ursache ist nach zwei Wochen immer noch unklar.", True, "major_problem"),
    # --- fr
    ("fr", "Depuis ce matin notre site de vente est en panne, nos clients ne peuvent plus passer de commandes.", True, "prolonged_outage"),
    ("fr", "Nous avons découvert une faille de sécurité : des utilisateurs d'un autre client voient nos données.", True, "security_breach"),
    ("fr", "Après la migration, des milliers de dossiers clients ont été supprimés.", True, "data_loss"),
    ("fr", "C'est la troisième panne cette semaine, nos agences ne peuvent pas encaisser les paiements.", True, "recurring_incidents"),
    ("fr", "Si ce n'est pas résolu avant vendredi, notre mise en production sera reportée et nous aurons des pénalités.", True, "business_risk"),
    ("fr", "Cela se produit uniquement sur l'environnement de recette, pas d'impact en production.", False, None),
    ("fr", "Pouvez-vous escalader ce ticket ? Pourquoi est-ce si long ?", False, None),
    ("fr", "Aucune donnée n'a été perdue et rien n'est en panne.", False, None),
    ("fr", "Je voudrais parler à un responsable, merci de me donner des nouvelles.", False, None),
    ("fr", "Les temps de réponse sont catastrophiques, nos collaborateurs sont bloqués toute la journée et la cause est toujours inconnue.", True, "major_problem"),
    # --- es
    ("es", "Desde anoche la tienda online está caída y los clientes no pueden pagar.", True, "prolonged_outage"),
    ("es", "Hemos detectado un acceso no autorizado: se filtraron las credenciales de administrador.", True, "security_breach"),
    ("es", "Tras la actualización se borraron 800 pedidos de la base de datos.", True, "data_loss"),
    ("es", "Es la tercera caída esta semana y nuestros empleados no pueden fichar.", True, "recurring_incidents"),
    ("es", "Si no se soluciona antes del lunes, perderemos la fecha de lanzamiento acordada en el contrato.", True, "business_risk"),
    ("es", "Solo ocurre en el entorno de pruebas, no hay impacto en producción.", False, None),
    ("es", "¿Pueden escalar esto? ¿Por qué tarda tanto?", False, None),
    ("es", "No se ha perdido ningún dato y nada está caído.", False, None),
    ("es", "Quiero hablar con un responsable, ¿hay alguna novedad?", False, None),
    ("es", "El sistema va tan lento que nuestros agentes no pueden atender llamadas y todavía no saben la causa; es un problema grave.", True, "major_problem"),
]


def _load_corpus(path: Path) -> list[tuple[str, str, bool, str | None]]:
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            item = json.loads(line)
            rows.append((item["lang"], item["text"], bool(item["impact"]), item.get("category")))
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
            if expected and impact.present:
                c["cat_ok"] += bool(impact.categories) and impact.categories[0] == category
        wrong = impact.present != expected or (
            expected and impact.categories[:1] != [category]
        )
        if verbose and wrong:
            print(f"  MISS [{lang}] expected={expected}/{category} got={impact.present}/"
                  f"{impact.categories} :: {text[:110]}")
    print(f"\n{name}")
    print(f"{'lang':<5} {'n':>3} {'prec':>6} {'recall':>6} {'F1':>6} {'category':>9}")
    for lang in [*sorted(k for k in counts if k != "all"), "all"]:
        c = counts[lang]
        p = c["tp"] / (c["tp"] + c["fp"]) if c["tp"] + c["fp"] else 1.0
        r = c["tp"] / (c["tp"] + c["fn"]) if c["tp"] + c["fn"] else 1.0
        f1 = 2 * p * r / (p + r) if p + r else 0.0
        cat = f"{c['cat_ok']}/{c['tp']}"
        print(f"{lang:<5} {c['n']:>3} {p:>6.2f} {r:>6.2f} {f1:>6.2f} {cat:>9}")


def main() -> int:
    verbose = "-v" in sys.argv
    args = [a for a in sys.argv[1:] if a != "-v"]
    path = Path(args[0]) if args else CORPUS
    if path.exists():
        _report(f"corpus: {path}", _load_corpus(path), verbose=verbose)
    else:
        print(f"corpus not found at {path} (expected ../shared/corpus/impact-examples.jsonl "
              "relative to the repo root); pass a path as the first argument")
    _report("private set (bench/impact_eval.py PRIVATE)", PRIVATE, verbose=verbose)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
