"""Business-impact lexicons for en, nl, de, fr and es, as regex fragments over *folded* text.

Folded means lower-cased, accents stripped, ß → ss (see `fold` in detect.py), so every fragment
here is written without accents and matches "sécurité" and "securite" alike.

Fragment conventions (applied by `detect._wrap`): a fragment gets a leading `\\b` and a trailing
`(?!\\w)` unless it starts / ends with `~`. Leaving out the leading boundary lets German and Dutch
compound heads match inside a word ("Umsatz|ausfall", "klant|dossiers").

Kinds, and why they are separate:
- signal kinds (one combined regex, leftmost-longest by listing order): `mask` (neutral phrases
  that would otherwise look like negations or impact, e.g. "business impact:" or "no workaround"),
  `outage`/`effect` (what happens), `security`, `loss_risk`, `loss`, `recur_strong`, `recur`,
  `major`, `risk_strong`, `condition`, `risk_obj`, `neg` (starts a negated scope);
  multi-word phrases that *contain* a negation ("cannot", "kann nicht", "ne fonctionne pas")
  are listed before `neg` so they win at the same position.
- object kinds (a second regex, so an object may overlap an effect inside one compound):
  `obj_prod`, `obj_strong`, `obj_weak`, `nonprod`.
- lazily-run sentence regexes: `risk_conseq`, `duration`, `kill`, `past`, `hypo`.
"""

# ruff: noqa: E501  (regex alternations read and diff better unbroken)

from __future__ import annotations

Fragments = dict[str, list[str]]

# ---------------------------------------------------------------------------------------------
# Signals
# ---------------------------------------------------------------------------------------------

MASK: Fragments = {
    "en": [
        r"business impact\s*:~",
        r"impact on (?:the )?business\s*:~",
        r"(?:no|without (?:a|any)|not (?:a|any)) (?:\w+ )?work-?arounds?",
        r"no (?:answer|reply|response|update|feedback|reaction|news)\w*",
        r"(?:do|does|did)(?:n't| not) (?:know|understand|see|get) (?:why|how|what)",
        r"not only",
        r"sla[- ]?breach\w*",
        r"~'t you",
        r"not sure",
    ],
    "nl": [
        r"(?:zakelijke )?impact\s*:~",
        r"geen (?:\w+ )?(?:workaround|omweg|oplossing|antwoord|reactie|update)\w*",
        r"niet alleen",
    ],
    "de": [
        r"(?:geschafts)?auswirkung\w*\s*:~",
        r"kein\w* (?:\w+ )?(?:workaround|umgehung|ubergangslosung|antwort|ruckmeldung|reaktion)\w*",
        r"nicht nur",
    ],
    "fr": [
        r"impact (?:metier|business)\s*:~",
        r"(?:pas|aucun\w*|sans) (?:de |d')?(?:\w+ )?(?:contournement|reponse|retour|solution de rechange)\w*",
        r"non seulement",
    ],
    "es": [
        r"impacto (?:en el )?negocio\s*:~",
        r"(?:sin|no hay|ninguna?) (?:\w+ )?(?:solucion alternativa|alternativa|respuesta|workaround)\w*",
        r"no solo",
        r"no se (?:por que|como)",
    ],
}

# Effects that mean "it is not there at all": pair even with generic objects ("site", "app").
OUTAGE: Fragments = {
    "en": [
        r"(?:is|are|was|were|been|be|went|goes|go|gone|still|completely|totally|fully) down",
        r"down (?:since|for)",
        r"outages?",
        r"downtime",
        r"unavailable",
        r"unreachable",
        r"inaccessible",
        r"offline",
        r"out of (?:service|order)",
        r"locked out",
        r"standstill|(?:grinding|ground|came|come) to a (?:halt|standstill)|at a halt",
        r"stopped (?:working|responding|running)",
        r"(?:total|complete|full) (?:failure|outage|breakdown)",
        r"(?:is|are|was|were|has|have|does|do|did)(?:n't| not)(?: been)? (?:working|work|loading|load|"
        r"starting|start|responding|respond|running|available|accessible|reachable|functioning|"
        r"booting|opening|open)",
        r"(?:not|no longer) (?:working|loading|responding|available|accessible|reachable|running|"
        r"functioning|starting|usable)",
        r"won't (?:start|load|open|work|run|boot)",
        r"no (?:longer )?(?:access|service|connectivity|connection)",
        r"without (?:access|service|power|internet|connectivity)",
        r"dead in the water|flying blind|(?:completely|totally) dead",
        r"(?:has|have|had)(?:n't| not) (?:been )?(?:refreshed|updated|synced|loaded|responded)",
    ],
    "nl": [
        r"storing\w*",
        r"onbereikbaar",
        r"onbeschikbaar",
        r"offline",
        r"(?:ligt|liggen|lag|lagen) (?:er |al |nog |helemaal |volledig |compleet )*(?:plat|eruit|stil)",
        r"plat\b~",
        r"(?:ligt|liggen|lag|lagen) (?:\w+ ){0,4}?(?:plat|eruit|uit)",
        r"(?:valt|vallen|viel|vielen) (?:\w+ ){0,5}?uit",
        r"(?:staat|staan|stond|stonden|ligt|liggen) (?:\w+ ){0,2}?stil",
        r"down",
        r"~uitval\w*",
        r"uitgevallen|valt uit|vallen uit",
        r"stil ?(?:gelegd|liggen|ligt|staan|staat)|stilstand",
        r"niet (?:meer )?(?:beschikbaar|bereikbaar|toegankelijk|te bereiken|te gebruiken|bruikbaar)",
        r"geen (?:toegang|verbinding|service)",
        r"zonder (?:toegang|systeem|verbinding)",
        r"(?:werkt|werken|laadt|laden|start|starten|reageert|reageren|draait|draaien|"
        r"functioneert|functioneren) (?:\w+ ){0,2}(?:niet|niks)(?: meer)?",
        r"niet (?:meer )?(?:werkt|werken|laadt|reageert|draait|functioneert)",
        r"(?:eruit|plat|stil) (?:ligt|liggen|lag|lagen|staat|staan)",
        r"uitvalt|uitvallen|uitviel\w*|platligt|platliggen|platlag\w*|stilstaat|stilstaan|"
        r"stilligt|stillag\w*|wegvalt|wegvallen|wegviel\w*",
    ],
    "de": [
        r"ausgefallen",
        r"~ausfall\w*",
        r"(?:fallt|fallen) (?:\w+ )?aus",
        r"~(?:storung|stoerung)\w*",
        r"unerreichbar",
        r"offline",
        r"down",
        r"steht still|stehen still|~stillstand\w*|lahmgelegt|lahm",
        r"nicht (?:mehr )?(?:erreichbar|verfugbar|verfuegbar|zuganglich|zugaenglich|"
        r"funktionsfahig|nutzbar|benutzbar|aufrufbar|funktioniert|lauft|laeuft|startet)",
        r"(?:funktioniert|funktionieren|lauft|laeuft|laufen|startet|starten|ladt|laedt|laden|"
        r"reagiert|reagieren) (?:\w+ ){0,3}(?:nicht|gar nicht)(?: mehr)?",
        r"kein\w* (?:zugriff|zugang|verbindung)",
        r"ohne (?:zugriff|zugang|system)",
        r"ausfallt|ausfaellt|stillsteht|stillstehen",
    ],
    "fr": [
        r"~panne\w*",
        r"indisponib\w*",
        r"inaccessible\w*",
        r"injoignable\w*",
        r"hors (?:service|ligne|d'usage)",
        r"interruption\w*",
        r"a l'arret",
        r"(?:ne|n') ?(?:\w+ )?(?:plus|pas) (?:du tout )?(?:disponible|accessible|joignable|"
        r"operationnel|utilisable)\w*",
        r"(?:ne|n') ?(?:\w+ )?(?:fonctionn|march|repond|charg|demarr|s'ouvr|ouvr|tourn)\w* "
        r"(?:plus|pas)",
        r"(?:pas|plus|aucun) (?:d'|de )?acces",
        r"sans (?:acces|service|systeme|connexion)",
    ],
    "es": [
        r"caid[oa]s?|caida\w*|se (?:ha )?cayo|se (?:han )?caido|se cae\w*",
        r"fuera de (?:servicio|linea)",
        r"inaccesible\w*",
        r"interrupcion\w*",
        r"paralizad\w*|paralizacion",
        r"no (?:esta|estan|estaba|estaban|sigue|siguen) (?:disponible|accesible|operativ|"
        r"funcionando|en linea)\w*",
        r"no (?:se )?(?:funciona|funcionan|carga|cargan|responde|responden|arranca|arrancan|abre|"
        r"abren)",
        r"no hay (?:acceso|servicio|conexion|sistema)",
        r"sin (?:acceso|servicio|sistema|conexion|funcionar)",
        r"(?:deja|dejan|dejo|dejaron|dejado) de (?:funcionar|responder|cargar)",
        r"no disponible\w*",
        r"offline|down",
    ],
}

# Generic consequences: need a business object ("customers", "orders") in the sentence.
EFFECT: Fragments = {
    "en": [
        r"can ?not|can't|could ?not|couldn't|unable|not able|no longer able|impossible",
        r"(?:no ?one|nobody|none of(?: \S+){1,6}?) (?:can|could|is able|are able|was able|were able)",
        r"(?:is|are|was|were|has|have|does|do|did)(?:n't| not)(?: been)? (?:being )?"
        r"(?:processed|sent|delivered|saved|synced|syncing|processing|sending|saving|paid|shipped)",
        r"blocked|blocking|blocker|stuck|halt(?:ed|s)?",
        r"stop(?:ped|s)?|stopping",
        r"fail(?:s|ed|ing|ure|ures)?",
        r"broken|break(?:s|ing)?",
        r"crash\w*|freez\w*|frozen|hang(?:s|ing)",
        r"affected|impacted|impact(?:s|ing)?|hit hard|disrupt\w*",
        r"degraded|degradation|slow(?:ed|ness|er)?|sluggish|time ?outs?|timing out|idle",
        r"waiting|delay\w*|backlog\w*",
        r"lost|losing|loss(?:es)?|miss(?:ing|ed)? out",
        r"cost(?:s|ing)? (?:us|the company|our company)|damage\w*",
        r"errors?|50[0234]s?",
        r"rejected|declined|bounc\w*|skipped|duplicat\w*|twice|double[- ]?(?:charged|booked|billed)",
        r"wrong(?:ly)? (?:charged|billed|calculated|sent)|incorrect\w*",
        r"redo|by hand|manually|manual (?:work|processing|workaround)|overtime",
        r"barely|hardly|(?:performance|response times?) (?:\w+ ){0,3}?(?:terrible|poor|awful|unacceptable)",
        r"complain\w*",
        r"(?:do|does|did)(?:n't| not) (?:receive|get)|no longer (?:receive|get)\w*",
        r"(?:response|loading|load|page) times?",
        r"abandon\w*|give up|giving up|go(?:ing)? elsewhere|(?:switch|go)(?:ing)? to (?:a |our )?competitors?",
        r"takes? (?:over |more than |up to |about )?\d+ ?(?:s|secs?|seconds|minutes|mins)",
        r"stall\w*|late|overdue|outdated|out of date|stale|unusable|useless",
        r"wrong(?:ly)? (?:\w+ )?(?:address\w*|recipients?|customers?|people|accounts?|amounts?|prices?|totals?|rates?|data)",
        r"errors? out|erroring|time[sd] out|nothing (?:\w+ ){0,2}(?:ships|shipped|leaves|left|goes out|gets out)",
        # Work that no longer comes in or goes out, or piles up.
        r"no (?:new |more |incoming )?(?:orders?|payments?|bookings?|sales|transactions?|shipments?|deliveries|"
        r"parcels?|invoices?|calls?|leads?) (?:\w+ ){0,2}?(?:came|come|coming|arrived?|arriving|went out|"
        r"going out|shipped|left|placed|got through|get through|going through|went through)",
        r"sitting (?:idle|in the depot|around|still)|piling up|piled up|queu(?:e|ing) up|"
        r"stranded|held up|(?:hung|hanging) up",
        r"charged twice|sent twice",
        # Subject quantifiers and verb-object negation: "no branch can", "we receive no stock".
        r"no (?:single )?(?:\w+ ){1,3}?(?:can|could) (?:\w+ )?(?:be )?\w+",
        r"(?:receive|receives|received|receiving|get|gets|got|getting) no",
        r"walk(?:s|ing|ed)? (?:out|away)|leav(?:e|es|ing) without (?:\w+ )?(?:buying|paying|ordering)",
        r"overcharg\w*|(?:pay|pays|paying|paid|charged|billed) (?:\w+ ){0,2}?too (?:much|little)",
    ],
    "nl": [
        r"(?:kan|kunnen|kon|konden|kunt) (?:\w+ ){0,6}?(?:niet|nergens|geen|niets|niks)",
        r"geen (?:enkele )?(?:\w+ ){0,4}?(?:kan|kon|kunnen|konden)",
        r"(?:geen|niets|niks) (?:\w+ ){0,4}?(?:verstuurd|verzonden|verwerkt|doorgezet|doorgestuurd|"
        r"geleverd|uitgeleverd|betaald|uitbetaald|opgeslagen|afgedrukt|geprint|gefactureerd|"
        r"uitgevoerd|geboekt|aangemaakt|afgehandeld|gesynchroniseerd|ingelezen|verkocht)",
        r"vastloopt|vastlopen|vastliep\w*|(?:loopt|lopen|liep|liepen) weg",
        r"niet (?:meer )?(?:\w+ )?(?:verstuurd|verzonden|verwerkt|geleverd|betaald|opgeslagen|"
        r"afgedrukt|gefactureerd|uitgevoerd|geboekt)",
        r"nauwelijks|amper|bijna niet|dubbel",
        r"(?:ontvangen|ontvangt|krijgen|krijgt) (?:\w+ ){0,2}geen",
        r"niet (?:meer )?(?:kunnen|kan|mogelijk)",
        r"niemand (?:kan|kon)",
        r"onmogelijk",
        r"geweigerd|afgewezen|geblokkeerd|blokkeert|vastgelopen|(?:loopt|lopen|liep|liepen) vast",
        r"gestopt|stopt|stoppen",
        r"mislukt\w*|faalt|falen|gefaald",
        r"kapot|crash\w*|~(?:loopt|lopen) (?:\w+ ){0,2}vast",
        r"getroffen|geraakt|last van|hinder\w*|verstoord|~verstoring\w*|impact",
        r"traag|trager|langzaam|~vertraging\w*|vertraagd",
        r"~verlies\w*|verloren|kwijt|(?:lopen|loopt|liepen|liep) (?:\w+ ){0,3}mis|mislopen|misgelopen",
        r"kost(?:en|te)? ons|~schade\w*",
        r"~foutmelding\w*|fout(?:en)?",
        r"handmatig\w*|met de hand|overwerk",
        r"~klacht\w*|klagen",
        r"(?:wachten|wacht) (?:\w+ ){0,3}(?:klanten|gebruikers)",
        r"weiger\w*|haken af|afhaken|time-?outs?|~time-?outs?",
        r"(?:gaat|gaan|ging) (?:\w+ ){0,3}?niets (?:meer )?(?:de deur )?uit|niets (?:meer )?de deur uit",
        r"verkeerde (?:\w+ )?(?:adressen|klanten|ontvangers|bedragen|prijzen|gegevens)",
        r"(?:lukt|lukken|lukte|lukten) (?:\w+ ){0,4}?(?:niet|nergens|niks)|niet (?:meer )?(?:lukt|lukken)",
        r"(?:komt|komen|kwam|kwamen) (?:\w+ ){0,3}?(?:geen|niets|niks|niet) (?:\w+ ){0,2}?(?:binnen|door|aan|uit)",
        r"(?:staat|staan|stond|stonden|zit|zitten|zat|zaten|hangt|hangen|hing|hingen) (?:\w+ ){0,4}?vast|vast (?:staan|zitten)",
        r"(?:blijft|blijven|bleef|bleven) (?:\w+ ){0,3}?(?:liggen|hangen|staan|steken)",
        r"(?:loopt|lopen|liep|liepen) (?:\w+ ){0,5}?vast",
        r"dubbel (?:\w+ )?(?:verstuurd|gefactureerd|afgeschreven|geboekt)",
        r"(?:betalen|betaalt|betaalden|betaald|rekenen|gefactureerd) (?:\w+ ){0,2}?te (?:veel|weinig)",
    ],
    "de": [
        r"(?:kann|kannst|konnen|koennen|konnte|koennte|konnten|koennten) (?:\w+ ){0,4}?"
        r"(?:nicht|keine\w*)",
        r"nicht (?:mehr )?(?:arbeiten|moglich|moeglich|einloggen|anmelden|zugreifen|bestellen|"
        r"bezahlen)",
        r"nicht (?:mehr )?(?:\w+ )?(?:versendet|verschickt|verarbeitet|geliefert|bezahlt|"
        r"gespeichert|gedruckt|gebucht|ausgefuhrt)",
        r"(?:erhalten|erhalt|bekommen|bekommt) (?:\w+ ){0,2}kein\w*",
        r"kaum|(?:performance|leistung) (?:\w+ ){0,3}?(?:schlecht|miserabel)",
        r"niemand (?:kann|konnte)",
        r"unmoglich|unmoeglich",
        r"abgelehnt|blockiert|hangt|haengt|hangen|haengen|gestoppt|stoppt|~stopp",
        r"fehlgeschlagen|(?:schlagt|schlaegt|schlagen) (?:\w+ ){0,4}?fehl|scheiter\w*",
        r"(?:lehnt|lehnen|lehnte|lehnten) (?:\w+ ){0,8}?ab",
        r"(?:geht|gehen|ging) (?:\w+ ){0,3}?nichts (?:mehr )?raus|nichts (?:mehr )?raus",
        r"falsche\w* (?:\w+ )?(?:adressen|kunden|empfanger|betrage|preise|daten)",
        r"(?:bricht|brechen|brach|brachen) (?:\w+ ){0,6}?ab|abgebrochen|~abbruch\w*|"
        r"(?:bleiben|bleibt|blieben|blieb) (?:\w+ )?liegen|liegen geblieben",
        r"kaputt|~absturz\w*|abgesturzt|abgestuerzt|(?:sturzt|stuerzt|sturzen) (?:\w+ )?ab",
        r"betroffen|~beeintrachtig\w*|~beeintraechtig\w*|gestort|gestoert|behindert",
        r"langsam\w*|~verzogerung\w*|~verzoegerung\w*|verzogert|verzoegert",
        r"~umsatzausfall\w*|~umsatzverlust\w*|~verlust\w*|verloren|~einbu(?:ss|ß)\w*|~einbruch\w*",
        r"(?:kostet|kosten) uns|~schaden\w*",
        r"~fehler\w*",
        r"manuell\w*|von hand|per hand|~uberstunden",
        r"~beschwerde\w*|beschweren",
        r"~auswirkung\w*",
        r"(?:geht|gehen|ging|gingen|klappt|klappen|klappte) (?:\w+ ){0,3}?(?:nicht|gar nicht)(?: mehr)?",
        r"(?:kommt|kommen|kam|kamen) (?:\w+ ){0,3}?(?:nicht|kein\w*|nichts) (?:\S+ ){0,4}?(?:an|durch|rein|herein|raus)",
        r"kein\w* (?:\w+ ){0,2}?(?:kommt|kommen|kam|kamen|geht|gehen|ging) (?:\w+ )?(?:an|durch|rein|raus)",
        r"(?:steckt|stecken|steckte|steckten|sitzt|sitzen|hangt|haengt|hangen|haengen) (?:\w+ ){0,4}?fest|festgefahren|feststecken|festhangen",
        r"(?:auf (?:null|0)|auf leer) (?:gesetzt|zuruckgesetzt|zurueckgesetzt)",
        r"(?:zahlen|zahlt|zahlten|bezahlen|berechnet|abgerechnet) (?:\w+ ){0,2}?zu (?:viel|wenig)",
        r"kein\w* (?:einzig\w* )?(?:\w+ ){0,3}?(?:kann|konnen|koennen|konnte|konnten)",
        r"kein\w* (?:\w+ ){0,4}?(?:mehr )?(?:versendet|verschickt|verarbeitet|ubertragen|uebertragen|"
        r"ubermittelt|geliefert|ausgeliefert|bezahlt|gebucht|gedruckt|erstellt|angelegt|"
        r"synchronisiert|importiert|abgerechnet)",
        r"abbricht|abbrechen|feststeckt|(?:hangen|haengen) bleibt",
    ],
    "fr": [
        r"(?:ne|n') ?(?:\w+ ){0,1}(?:peu\w*|pouv\w*|parvien\w*|parvenons|arriv\w*|reussi\w*) "
        r"(?:\w+ )?(?:plus|pas|aucune?)",
        r"rien ne (?:part|sort|fonctionne|marche|passe)",
        r"abandonn\w*|met (?:plus de )?\d+ (?:secondes|minutes) a",
        r"mauvais (?:destinataires|clients|adresses|montants)|montants? (?:errone|incorrect)\w*",
        r"personne ne (?:peut|pouvait)",
        r"(?:ne|n') ?(?:\w+ ){0,2}(?:pas|plus) (?:\w+ )?(?:envoye|traite|livre|paye|enregistre|"
        r"imprime|execute)\w*",
        r"a peine",
        r"ne (?:\w+ )?(?:recoi\w*|recev\w*) (?:plus|pas)",
        r"impossible",
        r"bloque\w*|coince\w*|arrete\w*|refuse\w*|rejete\w*",
        r"echou\w*|~echec\w*|en erreur",
        r"plante\w*|plantage\w*|crash\w*",
        r"impacte\w*|affecte\w*|touche(?:s|es)?|perturb\w*|impact",
        r"degrade\w*|lent(?:e|s|es|eur)?|ralenti\w*|retard\w*",
        r"perte\w*|perdu\w*|perdons|manque a gagner",
        r"nous coute|coute\w* (?:des|plus)",
        r"erreur\w*",
        r"manuellement|a la main",
        r"se plaign\w*|plainte\w*",
        r"~reclamation\w*",
        r"(?:ne|n') ?(?:se )?(?:voient|voit|voyons|voyez|pass\w*|sort\w*|part\w*|affich\w*|synchronis\w*|"
        r"arriv\w*|entr\w*|imprim\w*|calcul\w*|valid\w*|enregistr\w*) (?:plus|pas|rien|aucun\w*)",
        r"(?:plus )?aucune? (?:\w+ ){0,2}?(?:n'|ne )(?:arrive|part|sort|passe|entre)\w*",
        r"immobilis\w*|s'accumul\w*",
        r"aucune? (?:\w+ ){0,3}?(?:ne |n')(?:peu\w*|pouv\w*|parvien\w*|arriv\w*)",
        r"(?:repart\w*|part\w*|s'en vont|s'en vont) sans (?:rien )?(?:acheter|payer|commander)",
        r"tout est (?:bloque|arrete|paralyse|fige)\w*|paralys\w*",
        r"(?:paient|payent|payons|paye|payes|factures?) (?:\w+ ){0,2}?trop(?! tard)",
    ],
    "es": [
        r"no (?:se )?(?:pued\w*|pod\w*|pudimos|pudieron|logra\w*|consigu\w*)",
        r"nadie puede",
        r"no (?:se )?(?:\w+ )?(?:envian|enviado|procesa\w*|entrega\w*|pagad\w*|guardad\w*|"
        r"imprim\w*|ejecuta\w*)",
        r"apenas",
        r"no (?:\w+ )?recib\w*",
        r"imposible",
        r"bloquead\w*|atascad\w*|detenid\w*|parad[oa]s?|rechaz\w*",
        r"sin poder|tarda\w* (?:mas de )?(?:\w+ ){0,2}(?:segundos|minutos|minuto|horas)",
        r"se van a la competencia|abandon\w*|incorrect\w*|erroneo\w*|equivocad\w*",
        r"falla\w*|fallo\w*|fallid\w*|error\w*|rot[oa]s?|colgad\w*",
        r"afectad\w*|impactad\w*|perjudic\w*|impacto",
        r"degradad\w*|lent[oa]s?|lentitud|retras\w*|demora\w*",
        r"perdid\w*|perdiendo|perdemos|~perdida\w*",
        r"nos cuesta|cuesta\w*",
        r"manualmente|a mano",
        r"se quejan|quejas?",
        r"retenid\w*|atrapad\w*|acumulad\w*|acumulan",
        r"(?:pagan|pagamos|pagaron|cobra|cobran|cobrado|cobrando) (?:\w+ ){0,2}?(?:de mas|demasiado)",
        r"no (?:se )?(?:ven|ve|vemos|llega\w*|entra\w*|sale\w*|aparece\w*|carga\w*|muestra\w*|"
        r"sincroniza\w*|cobra\w*|factura\w*|guarda\w*|abre\w*|imprime\w*)",
        r"ningun\w* (?:\w+ ){0,2}?(?:llega|entra|sale|funciona|pasa)\w*",
        r"ningun\w* (?:\w+ ){0,3}?(?:puede|pueden|podia|podian|pudo|consigue|logra)",
        r"(?:se van|salen|se marchan) sin (?:\w+ )?(?:comprar|pagar|pedir)",
    ],
}

# Wrong, missing or doubled results: impact only with a business object *and* a sign of scale
# ("for all customers", "hundreds of invoices") or another effect in the sentence; alone they
# describe a cosmetic bug as often as an incident.
WEAK_EFFECT: Fragments = {
    "en": [
        r"(?:is|are|was|were|been|looks?|shows?|showing|comes? out|came out) (?:all |completely |totally |simply |just )?"
        r"(?:wrong|incorrect|inaccurate|garbage|nonsense|gibberish|empty|blank|zero)",
        r"(?:is|are|was|were|went|go|gone|been) missing|missing from|disappear\w*|vanish\w*",
        r"garbage|gibberish|blank (?:page|screen|list)s?|empty (?:page|screen|list|route list)s?",
        r"(?:in|as) duplicates?|duplicat\w*|twice",
    ],
    "nl": [
        r"(?:klopt|kloppen|klopte|klopten) (?:\w+ ){0,3}?(?:niet|niks|niets)(?: meer)?|onjuist\w*|verkeerd\w*",
        r"leeg|blanco|ontbreken|ontbreekt|verdwenen|dubbel\w*",
    ],
    "de": [
        r"falsch\w*|(?:stimmt|stimmen|stimmte|stimmten) (?:\w+ ){0,3}?nicht|doppelt|leer|verschwunden|fehlen|fehlt",
    ],
    "fr": [
        r"en double|doublons?|dupliqu\w*|faux|fausses?|errone\w*|incorrect\w*|disparu\w*|vide\w*|en attente",
        r"mauvais(?:es?)? (?:\w+ )?(?:destinataires?|clients?|adresses?|montants?|prix|tarifs?|taux|tva|"
        r"quantites?|donnees|calculs?|dates?)",
    ],
    "es": [
        r"duplicad\w*|por duplicado|dos veces|desaparecid\w*|vaci[oa]s?",
        r"(?:esta|estan|sale|salen|salio|salieron|calcula|calculan) (?:\w+ )?mal|mal calculad\w*",
    ],
}

# How many are hit: what turns a weak effect into an incident.
SCALE: Fragments = {
    "en": [
        r"all|every|everyone|everybody|entire|whole|none of|any of our|hundreds|thousands|dozens|"
        r"most of|half of|\d+ ?%|\d[\d,.]{1,}|per (?:hour|day)|an hour|a day|each|across",
        r"~[$€£]~",
    ],
    "nl": [
        r"alle|allemaal|elke|iedere|iedereen|hele|geheel|honderden|duizenden|tientallen|helft|per (?:uur|dag)"
    ],
    "de": [
        r"alle\w*|jede\w*|ganze\w*|gesamte\w*|hunderte|tausende|dutzende|halfte|haelfte|pro (?:stunde|tag)"
    ],
    "fr": [r"tous|toutes|chaque|entier\w*|centaines|milliers|dizaines|moitie|par (?:heure|jour)"],
    "es": [r"todos|todas|cada|entero|entera|cientos|miles|decenas|mitad|por (?:hora|dia)"],
}

SECURITY: Fragments = {
    "en": [
        r"(?:security|data|privacy|gdpr) (?:breach\w*|incident\w*|leak\w*|hole\w*|issue\w*)",
        r"breach(?:ed|es)?",
        r"vulnerab\w*|exploit\w*|cve-\d+",
        r"unauthori[sz]ed|without (?:being )?(?:logging in|logged in|login|authentication|"
        r"authorization|authorisation|credentials|permission)",
        r"(?:api[- ]?keys?|(?:access|secret|aws|ssh) keys?|credentials|passwords?|access tokens?|tokens|secrets|private keys?)"
        r"(?:\W+\w+){0,4}?\W+(?:visible|exposed|leaked|leaking|published|public|stolen|"
        r"compromised|in plain ?text|in (?:the|your) logs)",
        r"(?:leaked|exposed|stolen) (?:\w+ ){0,2}?(?:credentials|passwords?|keys|tokens|data|"
        r"records|secrets)",
        r"hack(?:ed|er|ers|ing)|compromised|malware|ransomware|phishing|intrusion|"
        r"privilege escalation|sql injection|xss|cross-site",
        r"(?:attack(?:ed|s)?|ddos) (?:on|by|against)?",
        r"(?:users?|someone|people|customers?|tenants?) (?:from|of) (?:another|other|a different) "
        r"(?:tenant|customer|company|organi[sz]ation)",
        r"(?:another|other) (?:tenant|customer|client|company|companies|organi[sz]ation|user|patient)s?'?s? "
        r"(?:data|records|accounts?|invoices|orders|files|documents|details|results|reports|messages)",
        r"attacker\w*|intruder\w*|threat actor\w*|data protection (?:authority|regulator)",
        r"(?:by )?(?:changing|modifying|editing|tampering with|guessing) the (?:\w+ )?(?:id|url|parameter|link)",
        r"(?:of|from|for) (?:every|any|all) other (?:class|user|customer|client|tenant|account|patient|"
        r"employee|student|compan\w*|department)\w*",
        r"(?:stolen|leaked|compromised|default) (?:\w+ )?(?:credentials|passwords?|logins?)",
        r"(?:gained|got|obtained) (?:unauthori[sz]ed |admin\w* |root )?access to|"
        r"(?:broke|got|hacked) into (?:the |our |an? )?(?:\w+ )?(?:admin\w*|accounts?|systems?|servers?|"
        r"database|console|network|portal)",
        r"(?:personal|private|sensitive|patient|customer|medical) (?:data|information|details)"
        r"(?:\W+\w+){0,6}?\W+(?:sent|shown|visible|exposed|mailed|emailed|delivered) to (?:the )?(?:wrong|other|another)",
    ],
    "nl": [
        r"~datalek\w*|~beveiligingslek\w*|~beveiligingsincident\w*|~beveiligingsprobleem\w*",
        r"lek in (?:de |onze )?beveiliging",
        r"~kwetsbaarhe\w*",
        r"onbevoegd\w*|ongeautoriseerd\w*|onbeveiligd\w*",
        r"gehackt|hacker\w*|inbraak|aanval\w*",
        r"inbreuk\w*",
        r"zonder (?:in te loggen|inloggen|authenticatie|wachtwoord)",
        r"(?:wachtwoord\w*|inloggegevens|inlogcodes|sleutels|api-?sleutels|tokens|gegevens)"
        r"(?:\W+\w+){0,4}?\W+(?:zichtbaar|gelekt|uitgelekt|openbaar|gestolen|blootgesteld|"
        r"buitgemaakt|op straat|gepubliceerd|ingezien)",
        r"uitgelekt|gelekt|~gegevenslek\w*",
        r"(?:gegevens|facturen|dossiers|accounts|loonstroken|documenten|bestellingen) van andere "
        r"(?:klanten|gebruikers|organisaties|medewerkers|patienten|clienten)",
        r"(?:gebruiker|medewerker|klant|iemand)\w* (?:van|bij) (?:een )?(?:andere|vreemde) "
        r"(?:klant|organisatie|bedrijf|tenant|omgeving)",
        r"~phishing\w*",
        r"autoriteit persoonsgegevens|(?:gemeld|melden) bij de ap",
        r"gestolen (?:\w+ )?(?:inloggegevens|wachtwoord\w*|accounts?|gegevens)",
        r"(?:iemand|onbekende\w*|derden?|buitenstaander\w*|aanvaller\w*) (?:\w+ ){0,4}?toegang (?:\w+ ){0,3}?(?:gekregen|verschaft)",
    ],
    "de": [
        r"~sicherheitslucke\w*|~sicherheitsluecke\w*|~sicherheitsvorfall\w*|"
        r"~sicherheitsproblem\w*|~datenleck\w*|~datenpanne\w*|~datenschutzverletzung\w*",
        r"~schwachstelle\w*",
        r"unbefugt\w*|unberechtigt\w*|unautorisiert\w*",
        r"gehackt|hacker\w*|~angriff\w*|kompromittiert",
        r"ohne (?:anmeldung|login|authentifizierung|passwort|berechtigung)",
        r"(?:passwort\w*|passworter|kennwort\w*|kennworter|zugangsdaten|anmeldedaten|"
        r"schlussel|api-?schlussel\w*|kundendaten|tokens)(?:\W+\w+){0,5}?\W+"
        r"(?:sichtbar|einsehbar|offengelegt|geleakt|offentlich|gestohlen|aufgetaucht|"
        r"veroffentlicht|abgeflossen|kompromittiert|im (?:internet|netz|darknet))",
        r"geleakt|~datenabfluss\w*|abgeflossen",
        r"daten (?:anderer|fremder) (?:kunden|mandanten|nutzer)",
        r"(?:eines|einer|des|vom|von einem|aus einem|von einer|aus einer) (?:anderen|fremden) "
        r"(?:mandanten|kunden|unternehmens|firma|organisation)|~mandantenfremd\w*",
        r"fremde (?:rechnungen|daten|kundendaten|konten|dokumente|bestellungen)",
        r"(?:daten|befunde|rechnungen|dokumente|akten|bestellungen|konten) (?:anderer|fremder) "
        r"(?:kunden|mandanten|nutzer|patienten|firmen|benutzer)",
        r"~phishing\w*|eingedrungen",
        r"~datenschutzbehorde\w*|~datenschutzbehoerde\w*|~datenschutzaufsicht\w*",
        r"(?:extern|fremd|unbekannt|dritt)\w* (?:\w+ ){0,5}?(?:abrufen|abgerufen|einsehen|eingesehen|"
        r"herunterladen|heruntergeladen|zugreifen|zugegriffen|auslesen|ausgelesen)",
        r"gestohlen\w* (?:\w+ )?(?:zugangsdaten|passwort\w*|kennwort\w*|anmeldedaten|konten)",
    ],
    "fr": [
        r"faille\w*|breches?",
        r"phishing|hameconnage",
        r"sans (?:autorisation|permission|droits?)",
        r"(?:un tiers|une personne exterieure|quelqu'un|un inconnu|un attaquant|des pirates) "
        r"(?:\w+ ){0,3}?(?:a accede|ont accede|s'est connecte|se sont connectes|a pu acceder)",
        r"violation (?:de|des) (?:donnees|securite)",
        r"incident de securite",
        r"vulnerabilit\w*",
        r"acces non autorise\w*|non autorise\w*",
        r"pirat\w*|intrusion\w*|attaque\w*",
        r"fuite\w* (?:de|des) (?:donnees|informations|identifiants|mots de passe)",
        r"sans (?:authentification|connexion|mot de passe|etre connecte\w*)",
        r"(?:mots? de passe|identifiants|cles d'api|cles|jetons|donnees)(?:\W+\w+){0,4}?\W+"
        r"(?:visibles?|exposes?|divulgue\w*|publics?|voles?|fuite\w*|fuit\w*|compromis\w*|"
        r"en clair|publie\w*)",
        r"(?:donnees|factures|comptes|dossiers|bulletins|documents|commandes) (?:\w+ )?d'autres "
        r"(?:clients|utilisateurs|patients|salaries|employes)",
        r"cnil",
        r"(?:utilisateur|employe|client|salarie|quelqu'un)\w* (?:d'une|d'un) autre (?:entreprise|societe|"
        r"organisation|client|locataire|tenant)",
        r"(?:donnees|informations)(?:\W+\w+){0,4}?\W+expose\w*|expose\w* (?:\w+ ){0,3}?(?:donnees|informations)",
    ],
    "es": [
        r"brecha\w*",
        r"phishing|suplantacion de identidad",
        r"(?:contrasena|credenciales|clave)s? (?:filtrad|robad|comprometid)\w*",
        r"(?:alguien|un tercero|un atacante|un desconocido) (?:\w+ ){0,3}?(?:entro|accedio|ha accedido|ha entrado)",
        r"vulnerabilidad\w*",
        r"acceso no autorizado|no autorizad\w*",
        r"hackead\w*|hackeo|pirate\w*|intrusion\w*|ataque\w*",
        r"filtracion\w*|fuga\w* de (?:datos|informacion|credenciales)",
        r"incidente de seguridad",
        r"sin (?:autenticacion|iniciar sesion|contrasena|credenciales)",
        r"(?:contrasenas?|credenciales|claves|tokens|datos)(?:\W+\w+){0,4}?\W+"
        r"(?:visibles?|expuest\w*|filtrad\w*|public\w*|robad\w*|comprometid\w*|en claro)",
        r"(?:datos|facturas|cuentas|nominas|expedientes|historiales|documentos|pedidos) de otros "
        r"(?:clientes|usuarios|empleados|pacientes|trabajadores)",
        r"aepd|agencia (?:espanola )?de proteccion de datos",
        r"(?:usuario|empleado|cliente|alguien)\w* de (?:otra|otro) (?:empresa|organizacion|cliente|tenant)",
        r"(?:informacion|datos)(?:\W+\w+){0,4}?\W+expuest\w*|expuest\w* (?:\w+ ){0,3}?(?:informacion|datos)",
    ],
}

LOSS_RISK: Fragments = {
    "en": [
        r"risk (?:of )?(?:\w+ ){0,2}?(?:data ?loss|losing (?:\w+ ){0,3}?(?:data|records|files))",
        r"(?:could|might|may|will|would|risk|about to|going to|threaten\w* to) (?:\w+ ){0,2}?"
        r"lose (?:\w+ ){0,3}?(?:data|records|files|history|documents)",
        r"(?:potential|possible|imminent) data ?loss",
    ],
    "nl": [
        r"dreig\w* (?:\w+ ){0,6}?(?:kwijt|verloren|te verliezen|verlies)",
        r"(?:risico|kans|gevaar) (?:op|van) (?:\w+ )?(?:data|gegevens)verlies",
        r"(?:kunnen|zouden) (?:\w+ ){0,4}?(?:kwijtraken|kwijt raken|verliezen)",
    ],
    "de": [
        r"droh\w* (?:\w+ ){0,5}?(?:datenverlust|verlust|verloren|zu verlieren)",
        r"(?:gefahr|risiko) (?:eines |von |des )?datenverlust\w*",
        r"(?:konnten|koennten|wurden|wuerden) (?:\w+ ){0,4}?verlieren",
    ],
    "fr": [
        r"risque\w* (?:de |d')(?:\w+ )?(?:perte|perdre)",
        r"(?:pourrions|pourraient|pourrait|allons) (?:\w+ )?perdre",
    ],
    "es": [
        r"riesgo de (?:\w+ )?(?:perdida|perder)",
        r"(?:podriamos|podrian|podria|vamos a) (?:\w+ )?perder",
    ],
}

LOSS: Fragments = {
    "en": [
        r"data ?loss|loss of (?:\w+ ){0,2}?data",
        r"lost (?:\w+ ){0,3}?(?:data|records|files|documents|orders|entries|attachments|emails|"
        r"transactions|history|changes)",
        r"(?:data|records?|files?|documents?|entries|attachments?|rows|tables?|emails|"
        r"transactions|history|information|photos|images|uploads|appointments|invoices|orders)(?:\W+\w+){0,6}?\W+"
        r"(?:lost|deleted|wiped|erased|overwritten|corrupt\w*|purged|gone|missing|disappeared|"
        r"vanished|truncated|emptied|destroyed)",
        r"corrupt(?:ed|ion)|overwritten|overwrote|wiped",
        r"(?:set|reset|changed|zeroed) (?:\w+ ){0,2}?(?:to (?:zero|0|null|blank|empty)|out)",
        r"(?:changes|corrections|edits|entries|records|data|prices|price lists|settings|work) "
        r"(?:\w+ ){0,2}?(?:are|is|were|was|have|has) (?:\w+ ){0,2}?(?:gone|vanished|disappeared|lost)",
        r"(?:deleted|missing|vanished|disappeared|wiped|erased|lost|overwrote|corrupted|purged|dropped) "
        r"(?:\S+ ){0,4}?(?:records|data|files|entries|rows|orders|documents|emails|appointments|"
        r"invoices|attachments|notes|contacts|contracts|messages|comments|tickets|accounts|"
        r"profiles|transactions|payments|history|backups|photos|reports|timesheets)",
    ],
    "nl": [
        r"~gegevensverlies|~dataverlies|verlies van (?:\w+ ){0,2}?(?:data|gegevens)",
        r"~(?:data|gegevens|bestanden|bijlagen|records|dossiers|documenten|bestellingen|mails|"
        r"foto's|fotos|regels|orders|facturen|afspraken|contracten|berichten|notities|werkbonnen|"
        r"betalingen|accounts|tickets|historie)(?:\W+\w+){0,6}?\W+(?:kwijt|verloren|verdwenen|gewist|verwijderd|"
        r"overschreven|corrupt|beschadigd|weg)",
        r"(?:kwijt|verloren|verdwenen|gewist|verwijderd|overschreven) (?:\w+ ){0,3}?"
        r"(?:data|gegevens|bestanden|bijlagen|records)",
        r"corrupt\w*|overschreven",
        r"(?:op (?:nul|0|leeg)) (?:\w+ )?(?:gezet|gezet|teruggezet)",
        r"(?:verdwenen|verdwijnen|ontbreken|kwijt) (?:\w+ ){0,4}?\w*(?:gegevens|notities|dossiers|bestellingen|orders|facturen|records|bestanden)\b",
    ],
    "de": [
        r"~datenverlust\w*|verlust von (?:\w+ ){0,2}?daten",
        r"(?:geloscht|geloescht|verloren|uberschrieben|ueberschrieben) (?:\S+ ){0,4}?"
        r"(?:daten|datensatz\w*|dateien|dokumente|bestellungen|preise|anhange|kontakte|notizen)",
        r"~(?:daten|datensatz\w*|datensatze|datei\w*|dokument\w*|anhang\w*|anhange|eintrag\w*|"
        r"eintrage|bestellungen|aufzeichnungen|vertrage|rechnungen|auftrage|termine|zahlungen|"
        r"nachrichten|konten|notizen|buchungen)(?:\W+\w+){0,6}?\W+(?:verloren|geloscht|geloescht|"
        r"uberschrieben|ueberschrieben|beschadigt|korrupt\w*|weg|verschwunden)",
        r"korrupt\w*|uberschrieben|ueberschrieben",
        r"auf (?:null|0|leer) (?:\w+ )?(?:gesetzt|zuruckgesetzt|zurueckgesetzt)",
        r"(?:fehlen|fehlt|verschwunden) (?:\S+ ){0,4}?\w*(?:daten|datensatze|datensatz|akten|dateien|"
        r"dokumente|bestellungen|eintrage|rechnungen)\b",
        r"~akte\w*(?:\W+\w+){0,6}?\W+(?:verloren|geloscht|geloescht|weg|verschwunden)",
    ],
    "fr": [
        r"pertes? (?:de |des |d')(?:\w+ ){0,2}?donnees",
        r"(?:supprime|efface|perdu|ecrase)\w* (?:\S+ ){0,4}?(?:donnees|dossiers|fichiers|"
        r"enregistrements|commandes|documents|factures|contrats|fiches|comptes|messages|"
        r"historique|paiements|rendez-vous|pieces jointes|prix|tarifs|contacts|notes|photos)",
        r"(?:donnees|fichiers|documents|enregistrements|pieces jointes|commandes|dossiers|"
        r"factures|contrats|fiches|comptes|messages|historique|paiements|rendez-vous)"
        r"(?:\W+\w+){0,6}?\W+(?:perdu|supprime|efface|ecrase|corrompu|disparu|endommage)\w*",
        r"corrompu\w*|ecrase\w*",
        r"(?:mis|remis|remises?|mises?) a (?:zero|0|vide)",
    ],
    "es": [
        r"~perdida\w* de (?:\w+ ){0,2}?datos",
        r"(?:borr|elimin|perdi|sobrescrib|desaparec)\w* (?:\S+ ){0,4}?(?:datos|registros|pedidos|archivos|"
        r"documentos|facturas|contratos|fichas|cuentas|mensajes|historial|citas|pagos|correos|expedientes|"
        r"adjuntos|ficheros|archivos|fotos|notas|contactos|precios|tarifas)",
        r"(?:datos|dato|archivos|ficheros|documentos|registros|adjuntos|pedidos|facturas|"
        r"contratos|fichas|cuentas|mensajes|historial|citas|pagos|correos)"
        r"(?:\W+\w+){0,6}?\W+(?:perdid|borrad|eliminad|sobrescrit|corrupt|corromp|desaparecid|"
        r"danad)\w*",
        r"corrupt[oa]s?|sobrescrit\w*|sobrescrib\w*|corromp\w*",
        r"(?:puest|reiniciad|restablecid)[oa]s? a (?:cero|0)",
    ],
}

_INCIDENT_EN = r"(?:outages?|incidents?|crash(?:es)?|failures?|disruptions?|breakdowns?|p1s?)"
RECUR_STRONG: Fragments = {
    "en": [
        r"(?:second|third|fourth|fifth|sixth|seventh|\d+(?:st|nd|rd|th)) " + _INCIDENT_EN,
        r"(?:multiple|several|many|numerous|repeated|frequent|recurring|recurrent|related) "
        r"(?:related |similar |p1 |major |high[- ]priority )?" + _INCIDENT_EN,
        r"\d+ (?:outages|incidents|crashes|failures|disruptions) (?:this|in|per|a|since|within|"
        r"last|over)",
    ],
    "nl": [
        r"(?:tweede|derde|vierde|vijfde|zesde|\d+e) (?:storing|incident|crash|uitval)\w*",
        r"(?:meerdere|diverse|verschillende|herhaalde|terugkerende|veel) "
        r"(?:storingen|incidenten|crashes|verstoringen)",
    ],
    "de": [
        r"(?:zweite|dritte|vierte|funfte|\d+\.) (?:ausfall|storung|vorfall|absturz)\w*",
        r"(?:mehrere|wiederholte|haufige|wiederkehrende|zahlreiche|viele) "
        r"(?:ausfalle|storungen|vorfalle|absturze|incidents)",
    ],
    "fr": [
        r"(?:deuxieme|troisieme|quatrieme|cinquieme|\d+e) (?:panne|incident|interruption)\w*",
        r"(?:plusieurs|multiples|nombreux|nombreuses|repetees|frequentes) "
        r"(?:pannes|incidents|interruptions)",
        r"(?:pannes|incidents) (?:recurrent|repete|frequent)\w*",
    ],
    "es": [
        r"(?:segunda|tercera|cuarta|quinta|segundo|tercer|tercero|cuarto) (?:caida|incidencia|"
        r"incidente|fallo|interrupcion)\w*",
        r"(?:varias|multiples|muchas|repetidas|frecuentes|varios|muchos) (?:caidas|incidencias|"
        r"incidentes|fallos|interrupciones)",
        r"(?:caidas|incidencias|incidentes|fallos) (?:recurrentes|repetid\w*|frecuentes)",
    ],
}

RECUR: Fragments = {
    "en": [
        r"recurring|recurrent|reoccurring|recurs|keeps? (?:on )?(?:happening|failing|crashing|"
        r"going down|breaking|coming back)|kept (?:happening|failing|crashing)",
        r"again and again|over and over|repeated(?:ly)?|once again|yet again|again",
        r"(?:second|third|fourth|fifth|sixth|\d+(?:st|nd|rd|th)) time",
        r"\d+ times (?:this|in|per|a|since|within|last|today)",
        r"every (?:single )?(?:day|night|morning|week|time|few)|each time|daily|nightly|"
        r"weekly|frequent(?:ly)?|regularly|constantly|intermittent\w*|several times",
    ],
    "nl": [
        r"opnieuw|alweer|weer|telkens|steeds (?:weer|vaker)|herhaaldelijk|keer op keer|"
        r"terugkerend\w*|regelmatig|elke (?:dag|nacht|week|keer)|iedere (?:dag|nacht|week|keer)|"
        r"dagelijks|wekelijks|(?:tweede|derde|vierde|vijfde) keer|\d+ keer",
    ],
    "de": [
        r"wieder|erneut|schon wieder|immer wieder|wiederholt|wiederkehrend\w*|mehrfach|"
        r"standig|staendig|haufig|haeufig|regelmassig|regelmaessig|jeden (?:tag|morgen|abend)|"
        r"jede (?:nacht|woche)|jedes mal|taglich|taeglich|zum (?:zweiten|dritten|vierten|"
        r"funften|\d+\.) mal|\d+ mal",
    ],
    "fr": [
        r"encore une fois|a nouveau|de nouveau|recurrent\w*|repete\w*|regulierement|"
        r"sans cesse|frequemment|chaque (?:jour|nuit|semaine|fois)|tous les (?:jours|soirs)|"
        r"(?:deuxieme|troisieme|quatrieme|cinquieme) fois|\d+ fois|encore",
    ],
    "es": [
        r"otra vez|de nuevo|nuevamente|recurrente\w*|repetidamente|una y otra vez|"
        r"frecuentemente|cada (?:dia|noche|semana|vez)|todos los dias|(?:segunda|tercera|cuarta|"
        r"quinta) vez|\d+ veces|varias veces",
    ],
}

MAJOR: Fragments = {
    "en": [
        r"(?:not|n't|never|still not|yet to|unable to|failed to) (?:yet )?(?:been able to )?"
        r"(?:been )?(?:find|found|identif\w*|isolat\w*|determin\w*|locat\w*|pinpoint\w*|"
        r"diagnos\w*)(?: the| a)?(?: root)? (?:cause|problem|issue)",
        r"(?:no|still no|without (?:a|any)) (?:clear )?root[- ]cause",
        r"(?:root )?cause (?:\w+ ){0,6}?(?:unknown|unclear|not (?:yet )?(?:found|known|identified))",
        r"taking (?:too|so|very) long to (?:find|fix|resolve|identify|isolate|diagnose)",
        r"(?:major|critical|severe|serious) (?:problem|issue|incident|performance)\w*",
        r"performance (?:problem|issue|degradation)\w*",
    ],
    "nl": [
        r"(?:oorzaak|root cause) (?:\w+ ){0,6}?(?:niet (?:gevonden|bekend)|onbekend|onduidelijk)",
        r"(?:nog )?(?:steeds )?geen (?:idee van de )?oorzaak",
        r"(?:groot|ernstig|kritiek|kritisch)e? (?:probleem|incident)",
        r"~prestatieproblem\w*|~performanceproblem\w*",
    ],
    "de": [
        r"(?:fehlerursache|ursache) (?:\w+ ){0,6}?(?:nicht (?:gefunden|bekannt|gefunden)|unbekannt|unklar)",
        r"(?:noch )?(?:immer )?keine ursache",
        r"(?:grosses|schwerwiegendes|kritisches|massives|ernstes) problem",
        r"~performanceproblem\w*|~leistungsproblem\w*",
    ],
    "fr": [
        r"cause (?:\w+ ){0,6}?(?:inconnue|introuvable|pas (?:encore )?identifiee)",
        r"(?:pas|toujours pas|aucune) (?:de |d')?(?:idee de la )?cause",
        r"probleme (?:majeur|critique|grave)|(?:grave|gros) probleme",
        r"probleme\w* de performance",
    ],
    "es": [
        r"causa (?:\w+ ){0,6}?(?:sin identificar|desconocida|no (?:identificada|encontrada))",
        r"(?:no|sin) (?:\w+ ){0,3}?(?:sab\w*|encontr\w*|identific\w*|conoc\w*) (?:la|el) "
        r"(?:causa|origen)",
        r"sin (?:encontrar|identificar) la causa",
        r"problema (?:grave|critico|mayor|serio)",
        r"problemas? de rendimiento",
    ],
}

# Risks strong enough on their own: money or law attached.
RISK_STRONG: Fragments = {
    "en": [
        r"breach\w* (?:of )?(?:our |the |a |this |its )?(?:\w+ )?(?:contract|agreement|sla)",
        r"contract(?:ual)? (?:penalt\w*|breach\w*|fines?|damages)",
        r"penalt(?:y|ies)|liquidated damages|regulatory fines?",
        r"legal(?:ly)? (?:obliged|obligation|required|requirement|bound)",
        r"(?:regulatory|compliance|audit|legal) (?:deadline|requirement|obligation|finding|issue)s?",
    ],
    "nl": [
        r"~boete\w*|~naheffing\w*|~dwangsom\w*|~sanctie\w*|contractbreuk|wettelijk (?:verplicht|termijn)\w*|~wettelijke (?:plicht|termijn)\w*",
    ],
    "de": [
        r"~vertragsstrafe\w*|~strafzahlung\w*|~konventionalstrafe\w*|vertragsbruch|"
        r"gesetzlich (?:verpflichtet|vorgeschrieben)|~bussgeld\w*",
    ],
    "fr": [
        r"penalit\w*|amende\w*|obligation\w* (?:legale|reglementaire)\w*|rupture de contrat|"
        r"legalement (?:tenu|oblige)\w*",
    ],
    "es": [
        r"penalizacion\w*|penalidad\w*|multa\w*|incumplimiento (?:de|del) contrato|"
        r"obligacion(?:es)? legal\w*|legalmente obligad\w*",
    ],
}

# "If it is not fixed by Friday …": a condition, not a negation of what follows.
CONDITION: Fragments = {
    "en": [
        r"(?:is|are|isn't|aren't|gets?|be|been)? ?(?:not|n't) (?:yet )?(?:be )?(?:fixed|resolved|"
        r"solved|ready|done|delivered|available in time)",
    ],
    "nl": [r"niet (?:op tijd |tijdig )?(?:opgelost|klaar|gefixt|verholpen|gerepareerd)"],
    "de": [r"nicht (?:rechtzeitig )?(?:behoben|gelost|geloest|fertig|repariert)"],
    "fr": [r"(?:n'est |ne sont )?pas (?:\w+ )?(?:resolu|corrige|regle|pret|repare)\w*"],
    "es": [
        r"no (?:se )?(?:\w+ )?(?:resuelve|soluciona|corrige|arregla|resuelto|listo|soluciona)\w*"
    ],
}

RISK_OBJ: Fragments = {
    "en": [
        r"go[- ]?live|golive|launch\w*|release date|roll-?out|cut-?over|deadline\w*|due date|"
        r"contract\w*|regulat\w*|complian\w*|audit\w*|legal\w*|gdpr|certification|tender|"
        r"commitment|ministry|government|peak season|black friday|year-end|month-end closing|"
        r"payroll run|board meeting|(?:sla|agreement)s? with (?:our|the) (?:customers?|clients?)|"
        r"filing\w*|tax (?:return|filing|deadline|export)|vat|(?:is|are) due|board demo|trade ?show|"
        r"auditors?|regulator\w*|payday|pay ?day",
    ],
    "nl": [
        r"livegang|live gaan|in productie (?:gaan|nemen)|~productiestart|oplevering|lancering|"
        r"deadline\w*|~contract\w*|toezichthouder|~wettelijk\w*|~verplicht\w*|~audit\w*|avg|"
        r"accountant\w*|inbedrijfstelling|jaarafsluiting|piekseizoen|go-?live|~migratie\w*|"
        r"~jaarrapport\w*|~rapportage\w*|~aangifte\w*|~inspectie\w*|~salarisrun|uitbetal\w*",
    ],
    "de": [
        r"go-?live|~livegang|~produktivstart|produktivsetzung|inbetriebnahme|~markteinfuhrung|"
        r"~markteinfuehrung|~frist\w*|~termin\w*|~vertrag\w*|~aufsicht\w*|~behorde\w*|"
        r"~gesetzlich\w*|~pflicht\w*|dsgvo|~audit\w*|~prufung\w*|~wirtschaftsprufer\w*|"
        r"~jahresabschluss\w*|~migration\w*|~meldung\w*|~bericht\w*|~stichtag\w*|fallig|faellig",
    ],
    "fr": [
        r"mise en (?:production|service|ligne)|lancement|date limite|echeance\w*|~contrat\w*|"
        r"~reglement\w*|conformite|rgpd|~audit\w*|commissaire\w* aux comptes|~ministere|"
        r"obligation\w*|cloture|go-?live|demarrage|bascule|migration|declaration\w*|"
        r"inspection|regulat\w*|reglementaire\w*",
    ],
    "es": [
        r"puesta en (?:produccion|marcha)|salida a produccion|lanzamiento|fecha limite|"
        r"fecha de entrega|plazo\w*|~contrato\w*|regulador\w*|cumplimiento|rgpd|auditor\w*|"
        r"obligacion\w*|ministerio|cierre|go-?live|arranque|migracion|declaracion\w*|"
        r"inspeccion|normativ\w*|legal\w*|regulatori\w*",
    ],
}

NEG: Fragments = {
    "en": [r"no|not|~'t|never|nothing|none|nobody|neither|nor|without|zero"],
    "nl": [r"geen|niet|nooit|niets|niks|niemand|zonder"],
    "de": [r"kein\w*|nicht|nie|niemals|nichts|niemand|ohne"],
    "fr": [r"ne|n'~|pas|aucun\w*|jamais|rien|sans|ni"],
    "es": [r"no|ningun\w*|nunca|nada|nadie|sin|tampoco|ni"],
}

# Conditions: an incident word inside one ("if the migration fails") is not an incident.
COND: Fragments = {
    "en": [r"if|unless|in case"],
    "nl": [r"indien|tenzij|mocht|mochten"],
    "de": [r"falls|sofern"],
    "fr": [r"au cas ou|a moins que"],
    "es": [r"en caso de que|a menos que"],
}

# Where a negation's scope ends. Dutch "en" and Spanish "y" are "in"/"there" in French, so they
# are only scope ends when the comment is in that language (see detect.py).
SCOPE_END: list[str] = [
    r"~[,;:()!?]~",
    r"and|but|however|although|though|whereas|while|because|so|maar|echter|hoewel|terwijl|omdat|"
    r"want|und|aber|jedoch|sondern|obwohl|wahrend|weil|denn|mais|cependant|pourtant|tandis|"
    r"parce|car|et|pero|sino|aunque|mientras|porque",
]
SCOPE_END_BY_LANGUAGE: dict[str, str] = {"nl": "en", "es": "y"}

# ---------------------------------------------------------------------------------------------
# Objects (what is affected)
# ---------------------------------------------------------------------------------------------

OBJ_PROD: Fragments = {
    "en": [r"production\w*|prod|live (?:environment|system|site|app\w*|platform|env)|go live"],
    "nl": [r"~productie\w*|~live ?omgeving"],
    "de": [r"~produktion\w*|~produktiv\w*|~live-?system\w*|~liveumgebung"],
    "fr": [r"production|prod|environnement de production"],
    "es": [r"produccion|entorno productivo"],
}

OBJ_STRONG: Fragments = {
    "en": [
        r"(?:end[- ]?)?users?|customers?|clients?|tenants?|subscribers?|passengers?|guests?|consumers?|patients?|citizens|students|"
        r"members|employees|staff|colleagues|workers|agents|engineers|technicians|drivers|"
        r"nurses|doctors|people|operators|cashiers|planners|dispatchers|couriers|pickers|"
        r"clerks|accountants|advisors|advisers|teams?|departments?|stores?|shops?|branches|"
        r"hospitals?|warehouses?|factory|factories|plants|orders?|payments?|invoic\w*|billing|"
        r"revenue|sales|turnover|income|money|transactions?|shipments?|deliveries|delivery|"
        r"checkout|bookings?|reservations?|claims|policies|payroll|salaries|finance|operations|"
        r"business|workforce|call cent(?:er|re)s?|webshop|web shop|e-?commerce|supply chain|"
        r"logistics|manufacturing|work ?orders?|nobody|no ?one|everyone|everybody|"
        r"partners?|carriers?|suppliers?|vendors?|parcels?|packages|labels|deliveries|visitors|"
        r"shoppers|buyers|carts?|baskets?|trucks|routes|vans|fleet|depot|freight|stock|inventory|"
        r"prices|pricing|tills|cash registers|terminals|appointments|exams|callers|"
        r"eur|euros?|usd|dollars?|gbp|pharmac\w*|clinics?|schools?|restaurants?|hotels?|outlets?|franchises?",
        r"~[$€£]~",
    ],
    "nl": [
        r"~gebruiker\w*|~klant\w*|~medewerker\w*|werknemers|personeel|collega\w*|agenten|"
        r"monteurs|patienten|burgers|studenten|leden|chauffeurs|planners|bezorgers|koeriers|"
        r"verpleegkundigen|artsen|kassamedewerkers|magazijnmedewerkers|adviseurs|~afdeling\w*|callcenter|klantenservice|winkel\w*|filialen|~ziekenhui\w*|"
        r"magazijn\w*|~bestelling\w*|~betaling\w*|~factur\w*|~omzet\w*|inkomsten|~verkoop\w*|"
        r"transacties|zendingen|~levering\w*|boekingen|reserveringen|~salaris\w*|"
        r"bedrijfsvoering|~bedrijfsproces\w*|processen|dienstverlening|webwinkel|~kassa\w*|"
        r"niemand|iedereen|mensen|vervoerders|transporteurs|ritten|routes|leveranciers|partners|"
        r"labels|etiketten|pakketten|orderpicker\w*|vrachtwagens|pinbetalingen|"
        r"~voorraad\w*|prijzen|afspraken|~loonstro\w*|~salarisstro\w*|depot|~apothe\w*|klinieken|"
        r"scholen|restaurants|hotels|~vestiging\w*|locaties",
    ],
    "de": [
        r"~nutzer\w*|~anwender\w*|~kunde\w*|~mitarbeite\w*|personal|~kolleg\w*|"
        r"beschaftigte\w*|~patient\w*|burger|fahrer|~disponent\w*|planer|techniker|monteure|"
        r"~pflegekrafte|arzte|~kassierer\w*|~lagerarbeiter\w*|~sachbearbeiter\w*|~filial\w*|~geschaft\w*|~geschaeft\w*|lager\w*|"
        r"~bestellung\w*|~auftrag\w*|~auftrage\w*|~zahlung\w*|~rechnung\w*|~abrechnung\w*|"
        r"~umsatz\w*|einnahmen|~verkauf\w*|~transaktion\w*|~lieferung\w*|~buchung\w*|"
        r"~gehalt\w*|betrieb|~betriebsablauf\w*|~geschaftsbetrieb|~prozess\w*|~webshop\w*|"
        r"~onlineshop\w*|~kasse\w*|niemand|alle|menschen|leute|~lager\w*|~versand\w*|etiketten|"
        r"pakete|~partner\w*|~lieferant\w*|~spediteur\w*|~terminal\w*|"
        r"~preis\w*|~bestand\w*|~termine|~touren|~lohn\w*|depot|~apothek\w*|~klinik\w*|schulen|"
        r"restaurants|hotels|~standort\w*|~niederlassung\w*|~abteilung\w*|~team|~teams|"
        r"~vertrieb\w*|~buchhaltung|~aussendienst\w*",
    ],
    "fr": [
        r"utilisateur\w*|client\w*|collaborateur\w*|employe\w*|salarie\w*|personnel|agents|"
        r"techniciens|patients|chauffeurs|livreurs|conseillers|caissier\w*|infirmier\w*|"
        r"medecins|preparateurs|planificateurs|comptables|magasin\w*|boutique\w*|agence\w*|entrepot\w*|usine\w*|"
        r"commande\w*|paiement\w*|factur\w*|chiffre d'affaires|revenus?|ventes?|transactions?|"
        r"livraison\w*|reservation\w*|paie|activite\w*|exploitation|equipes?|personne|"
        r"partenaires|fournisseurs|transporteurs|etiquettes|colis|expedition\w*|panier\w*|"
        r"tout le monde|prix|tarifs?|stocks?|tournees?|rendez-vous|caisses?|salaires?|depot|"
        r"pharmacies|cliniques|ecoles|restaurants|hotels|succursales|etablissements|departements?",
    ],
    "es": [
        r"usuari\w*|client\w*|emplead\w*|trabajador\w*|personal|agentes|tecnicos|pacientes|"
        r"conductores|repartidores|cajer\w*|enfermer\w*|medicos|planificadores|operarios|"
        r"contables|asesores|"
        r"tiendas?|sucursal\w*|hospital\w*|almacen\w*|fabrica\w*|pedidos?|ordenes|pagos?|"
        r"cobros?|factura\w*|ingresos|ventas?|transacciones|envios|entregas|reservas|nomina\w*|"
        r"negocio\w*|operacion\w*|equipos?|nadie|todo el mundo|todos|socios|proveedores|"
        r"transportistas|etiquetas|paquetes|rutas|datafonos|tpv|terminales|cajas|precios|"
        r"tarifas|stock|inventario|citas|salarios|sueldos|deposito|farmacias|clinicas|colegios|"
        r"restaurantes|hoteles|sedes|establecimientos|departamentos?",
    ],
}

OBJ_WEAK: Fragments = {
    "en": [
        r"(?:web ?)?sites?|apps?|application\w*|platform\w*|portal\w*|system\w*|services?|"
        r"environment|servers?|database|api|login|sso|cloud|network|intranet|erp|crm|"
        r"licens\w*|integration\w*|screens?|pages?",
    ],
    "nl": [
        r"~applicatie\w*|~platform\w*|~portaal\w*|~systeem\w*|~omgeving\w*|~server\w*|website|"
        r"~koppeling\w*|app|api|~integratie\w*|sso"
    ],
    "de": [
        r"~anwendung\w*|~applikation\w*|~plattform\w*|~portal\w*|~system\w*|~umgebung\w*|"
        r"~server\w*|~datenbank\w*|~dienst(?:e|es|en)?|webseite|~seite|~schnittstelle\w*|app|api|sso",
    ],
    "fr": [
        r"application\w*|plateforme\w*|portail\w*|systeme\w*|environnement|serveur\w*|"
        r"base de donnees|site\w*|service\w*|api|sso|integration\w*|interface\w*",
    ],
    "es": [
        r"aplicacion\w*|plataforma\w*|portal\w*|sistema\w*|entorno|servidor\w*|"
        r"base de datos|sitio\w*|web|servicio\w*|api|sso|integracion\w*|interfaz",
    ],
}

NONPROD: Fragments = {
    "en": [
        r"test(?:ing)?|staging|acceptance|uat|qa|dev|development|sandbox|local(?:ly|host)?|"
        r"laptop|my (?:machine|computer|pc)|pre-?prod\w*",
    ],
    "nl": [r"~test\w*|~acceptatie\w*|~ontwikkel\w*|lokaal|lokale"],
    "de": [r"~test\w*|~entwicklung\w*|~abnahme\w*|lokal\w*|staging"],
    "fr": [r"recette|developpement|pre-?production|environnement de test|local\w*"],
    "es": [r"pruebas?|desarrollo|preproduccion|entorno de (?:prueba|test)\w*|local\w*"],
}

# ---------------------------------------------------------------------------------------------
# Sentence-level checks, run only when a sentence already carries a signal
# ---------------------------------------------------------------------------------------------

RISK_CONSEQ: Fragments = {
    "en": [
        r"at risk|in danger|jeopard\w*|endanger\w*|threat\w*|miss(?:es|ed|ing)?|lose|losing|"
        r"lost|cancel\w*|postpone\w*|delay\w*|slip\w*|push(?:ed)? back|breach\w*|violat\w*|"
        r"penalt\w*|fined|fines|obliged|obligat\w*|must|have to|unless|before|by (?:monday|"
        r"tuesday|wednesday|thursday|friday|saturday|sunday|tomorrow|the end|end of|eod|next|"
        r"\d\w*)|in time|on time|risk\w*|cannot go live|won't be able|blocks?|blocking|blocked|"
        r"fail\w*|can ?not|can't|unable|crash\w*|hang(?:s|ing)?|stuck|broken|"
        r"not working|keeps|still (?:not|cannot|can't|fails?|broken|down)",
    ],
    "nl": [
        r"in gevaar|~risico\w*|(?:missen|mislopen|verliezen|kwijt)|uitstel\w*|uitgesteld|"
        r"~vertraag\w*|annuler\w*|afgeblazen|boete\w*|moeten|voor (?:maandag|dinsdag|woensdag|"
        r"donderdag|vrijdag|zaterdag|zondag|morgen|het einde|eind)|uiterlijk|op tijd|"
        r"niet (?:halen|gehaald|kunnen)|dreig\w*|~blokkeer\w*|"
        r"(?:kan|kunnen|kon|konden|lukt|lukken) (?:\w+ ){0,4}?(?:niet|geen)|mislukt\w*|faalt|"
        r"onmogelijk|halen (?:\w+ ){0,3}?niet|komt in gevaar|moet|werkt (?:\w+ ){0,3}niet|"
        r"(?:loopt|lopen) (?:\w+ ){0,2}vast|vastgelopen|crash\w*",
    ],
    "de": [
        r"gefahrdet|gefaehrdet|gefahr|~risiko\w*|verpass\w*|verlieren|verschieb\w*|"
        r"verschoben|abgesagt|absagen|~verzoger\w*|strafe\w*|mussen|muessen|bis (?:montag|"
        r"dienstag|mittwoch|donnerstag|freitag|samstag|sonntag|morgen|ende|zum)|rechtzeitig|"
        r"nicht (?:halten|einhalten|schaffen)|droh\w*|blockier\w*|"
        r"(?:kann|konnen|koennen|konnte|konnten|lasst|laesst|lassen) (?:\w+ ){0,4}?(?:nicht|kein\w*)|"
        r"fehlgeschlagen|scheiter\w*|unmoglich|unmoeglich|verpass\w*|muss|"
        r"(?:sturzt|stuerzt|sturzen) (?:\w+ ){0,3}ab|abgesturzt|(?:bricht|brechen) (?:\w+ ){0,5}?ab|"
        r"hangt|haengt|funktioniert (?:\w+ ){0,3}nicht",
    ],
    "fr": [
        r"en danger|compromis\w*|~risque\w*|manquer|rater|perdre|report\w*|annul\w*|"
        r"retard\w*|penalit\w*|devons|devrons|avant (?:lundi|mardi|mercredi|jeudi|vendredi|"
        r"samedi|dimanche|demain|la fin|le)|a temps|menace\w*|bloqu\w*|"
        r"(?:ne|n') ?(?:\w+ ){0,3}?(?:pas|plus)|impossible|echou\w*|echec|plante\w*|crash\w*|"
        r"dues?|prevue?s?",
    ],
    "es": [
        r"cumplir|incumpl\w*|no (?:\w+ )?(?:llegar|llegamos|llegaremos)|en riesgo|en peligro|~riesgo\w*|perder|perderemos|pospon\w*|aplaz\w*|cancel\w*|"
        r"retras\w*|penaliza\w*|tenemos que|debemos|antes (?:del|de)|a tiempo|amenaza\w*|"
        r"bloque\w*|no (?:\w+ ){0,2}?(?:podemos|puede|pueden|podremos|podra|funciona\w*)|"
        r"imposible|falla\w*|fallo|sin funcionar|no funciona\w*|hay que",
    ],
}

DURATION: Fragments = {
    "en": [
        r"since|for (?:over |more than |almost |nearly |about |the (?:last|past) )?(?:\d+|an?|a few|"
        r"several|many|two|three|four|five|six|hours|days)\s?(?:\w+ )?(?:hours?|days?|weeks?|"
        r"h|hrs)|all (?:day|night|morning|weekend)|\d+\+? (?:hours|days)|hours|prolonged|"
        r"extended|exceed\w*|sla",
    ],
    "nl": [
        r"sinds|al (?:\d+|twee|drie|vier|enkele|een paar|uren|dagen)|de hele (?:dag|ochtend)|uren"
    ],
    "de": [r"seit|stundenlang|tagelang|den ganzen (?:tag|morgen)|(?:\d+|mehrere) stunden"],
    "fr": [r"depuis|pendant des heures|toute la (?:journee|matinee)|(?:\d+|plusieurs) heures"],
    "es": [
        r"desde|hace (?:\d+|varias|dos|tres) horas|todo el dia|toda la manana|(?:\d+|varias) horas"
    ],
}

# A sentence that says the problem is not in production, or is only a question.
KILL: Fragments = {
    "en": [
        r"only (?:happens |occurs |in |on |for |with |affects |see |seen )*(?:\w+ ){0,3}?"
        r"(?:test|staging|acceptance|dev|development|sandbox|local\w*|laptop|machine|uat|qa)",
        r"(?:test|staging|acceptance|uat|dev|sandbox|qa)(?: environment| env| system| server)? only",
        r"(?:this|the|my|our) (?:ticket|question|request|issue) is (?:just |only |merely )?about",
        r"just (?:a |one )?(?:quick )?(?:question|note|remark)|only a question|cosmetic|"
        r"just wanted to (?:know|ask|check)|for (?:your )?information only|nice to have|"
        r"feature request",
        r"production (?:is )?(?:fine|unaffected|working|works|running)|works? fine in production|"
        r"unaffected",
        r"production (?:\w+ ){0,2}?(?:is|are|was|were)(?:n't| not) (?:\w+ )?(?:affected|impacted|touched)|"
        r"no (?:impact|effect) (?:on|in) (?:the )?production",
        r"how (?:do|can|could|should) (?:i|we|you|one)|how to|where (?:do|can|could) (?:i|we) (?:find|see|change)|"
        r"what (?:should|do|can|must) (?:we|i) do (?:if|when)",
    ],
    "nl": [
        r"alleen (?:in|op|bij) (?:de |het |onze |ons |mijn )?(?:\w+ )?(?:test\w*|acceptatie\w*|"
        r"ontwikkel\w*|lokaal\w*|sandbox|laptop)",
        r"(?:alleen|slechts|gewoon) (?:een )?(?:korte )?vraag|cosmetisch",
        r"productie (?:werkt|draait|loopt) (?:gewoon|prima|normaal|goed)",
        r"productie (?:\w+ ){0,2}?(?:geen (?:last|hinder|impact)|niet (?:geraakt|getroffen|beinvloed))|"
        r"geen (?:impact|last|gevolgen) (?:op|voor) (?:de )?productie",
        r"hoe (?:kan|kunnen|moet|moeten) (?:ik|we|wij|je)|waar (?:staat|vind ik|kan ik)|"
        r"wat (?:moeten|kunnen) (?:we|wij|ik) doen (?:als|wanneer)",
    ],
    "de": [
        r"nur (?:in|auf|im) (?:der |dem |unserer |unserem |meinem |meiner )?(?:\w+ )?"
        r"(?:test\w*|entwicklung\w*|staging|abnahme\w*|lokal\w*|sandbox|laptop)",
        r"nur (?:eine )?(?:kurze )?frage|kosmetisch",
        r"produktion (?:lauft|laeuft|funktioniert) (?:normal|einwandfrei|problemlos|stabil)",
        r"produktion (?:ist|war) (?:\w+ )?nicht betroffen|keine auswirkung\w* auf (?:die )?produktion",
        r"wie (?:kann|konnen|koennen|muss|mussen|muessen) (?:ich|wir|man)|wo finde ich|"
        r"was (?:sollen|mussen|muessen|konnen|koennen) wir tun,? wenn",
    ],
    "fr": [
        r"(?:uniquement|seulement|que) (?:en|sur|dans) (?:l'|la |le |notre |mon |ma )?"
        r"(?:environnement de )?(?:test|recette|developpement|local|sandbox|pre-?prod\w*)",
        r"(?:juste|simplement|seulement) une (?:petite )?question|cosmetique",
        r"la production (?:fonctionne|tourne) (?:normalement|bien)",
        r"la production n'(?:est|a) pas (?:ete )?(?:concernee|impactee|touchee|affectee)|"
        r"(?:sans|aucun) impact sur la production",
        r"comment (?:puis-je|peut-on|pouvons-nous|faire|dois-je|devons-nous)|ou (?:est|se trouve|trouver)|que faire",
    ],
    "es": [
        r"(?:solo|solamente|unicamente) (?:en|sobre) (?:el |la |nuestro |nuestra |mi )?"
        r"(?:entorno de )?(?:pruebas?|test|desarrollo|local|sandbox|pre-?produc\w*)",
        r"solo (?:una )?(?:pequena )?pregunta|cosmetico",
        r"(?:la )?produccion funciona (?:bien|normalmente)",
        r"(?:la )?produccion no (?:esta|se ve|ha sido|se ha visto) (?:afectad|impactad)\w*|"
        r"sin impacto en (?:la )?produccion",
        r"como (?:puedo|podemos|se puede|debo|debemos|hago)|donde (?:esta|encuentro|puedo)|"
        r"que (?:hacemos|hago|debemos hacer|hay que hacer) (?:si|cuando)",
    ],
}

PAST: Fragments = {
    "en": [
        r"(?<!from the )(?<!of the )(?<!since )(?<!from )last (?:year|month|quarter)(?!'s)|in the past|(?:a|one|two|three|several) (?:years?|months?) ago|"
        r"with (?:another|a previous|a different|our (?:old|previous|former)) (?:vendor|supplier|provider)",
        r"(?:is|was|were|are|has been|have been|got) (?:now |since |meanwhile |already )?(?:fixed|resolved|solved)|"
        r"(?:fixed|resolved|solved) now|back to normal",
    ],
    "nl": [
        r"(?<!van )(?<!sinds )(?<!vanaf )vorig(?:e)? (?:jaar|maand|kwartaal)|in het verleden|(?:een|twee|drie) (?:jaar|maanden) geleden|"
        r"bij (?:een )?(?:andere|vorige) (?:leverancier|aanbieder|partij)",
        r"(?:is|zijn|werd|werden) (?:inmiddels |intussen |al |weer )?(?:opgelost|verholpen)|"
        r"inmiddels (?:opgelost|verholpen)",
    ],
    "de": [
        r"(?<!seit )letztes jahr|(?<!vom )(?<!von )(?<!seit )letzten monat|in der vergangenheit|vor (?:einem|zwei|drei) (?:jahr|monat)\w*|"
        r"(?:mit|bei) (?:einem )?(?:anderen|fruheren|frueheren|alten) (?:anbieter|dienstleister|lieferanten)",
        r"(?:ist|sind|wurde|wurden) (?:aber |inzwischen |mittlerweile |jetzt |bereits |schon )*"
        r"(?:behoben|gelost|geloest)",
    ],
    "fr": [
        r"(?<!de )(?<!depuis )l'(?:an|annee) derniere?|(?<!depuis )le mois dernier|par le passe|il y a (?:un|deux|trois) (?:ans?|mois)|"
        r"(?:avec|chez) un (?:autre|ancien) (?:fournisseur|prestataire|editeur)",
        r"(?<!n')(?:est|sont|a ete|ont ete) (?:maintenant |desormais |deja |bien )?(?:resolu|corrige|regle)\w*",
    ],
    "es": [
        r"(?<!desde )el ano pasado|(?<!desde )el mes pasado|en el pasado|hace (?:un|dos|tres) (?:anos?|mes\w*)|"
        r"con (?:otro|un antiguo|nuestro antiguo) proveedor",
        r"(?<!no )(?:esta|estan|fue|fueron|ha sido|han sido) (?:ya )?(?:resuelt|solucionad|arreglad|corregid)\w*|"
        r"ya (?:esta|estan) (?:resuelt|solucionad|arreglad|corregid)\w*",
    ],
}

HYPO: Fragments = {
    "en": [r"what if|what would happen|in case|hypothetical\w*|suppose|imagine|theoretically"],
    "nl": [r"wat als|stel dat|wat gebeurt er als|hypothetisch|theoretisch"],
    "de": [r"was (?:ware|waere|passiert),? wenn|angenommen|hypothetisch|theoretisch"],
    "fr": [r"et si|au cas ou|que se passe-t-il si|hypothetique\w*|supposons|theoriquement"],
    "es": [r"y si|que pasa si|que pasaria si|en caso de que|supongamos|hipotetic\w*|teoricamente"],
}

# Sentences opening with a conditional and carrying a would/could: hypothetical, not an incident.
COND_START = r"^\W*(?:if|si|falls|indien|mocht|stel)\b"
COND_MODAL: Fragments = {
    "en": [r"would|could|might"],
    "nl": [r"zou|zouden"],
    "de": [r"wurde|wuerde|wurden|konnte|koennte"],
    "fr": [r"pourrait|pourraient|serait|seraient"],
    "es": [r"podria|podrian|seria|serian"],
}


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


STOPWORDS: dict[str, frozenset[str]] = {
    "en": _words(
        "the and is are our we not this to of it for have has with can on since that was be "
        "you your please been all they there what were will would could from at by an which "
        "any cannot does don't after"
    ),
    "nl": _words(
        "de het een en is zijn niet onze ons we wij van dat die voor met kunnen sinds geen ook "
        "er bij nog naar al maar dit jullie graag kan heeft hebben wordt worden werd deze "
        "door uit om te zo wel wat waarom ik"
    ),
    "de": _words(
        "der die das und ist sind nicht unsere unser wir von mit fur seit kein keine auch ein "
        "eine einen einem den dem bitte auf zu es sie ich nur noch wird wurde wurden werden "
        "durch bei aus nach wie als haben hat konnen kann uns ihr oder"
    ),
    "fr": _words(
        "le la les et est sont pas notre nos nous des du un une pour avec depuis ne que qui "
        "dans sur ce cette il vous merci plus ont ete tous toutes au aux mais par ou l d qu "
        "c"
    ),
    "es": _words(
        "el la los las y es son no nuestro nuestra nuestros nosotros del un una para con desde "
        "que por se esta este hay muy pero gracias han ha al sus su como tras todos"
    ),
}

# Letters only one of the languages uses: a tie-breaker when stopwords are few.
DIACRITICS: dict[str, str] = {"de": "äöüß", "fr": "éèêàçùûôœ", "es": "ñ¿¡áíóú", "nl": "ĳ"}
