"""Queries in French, English, German and Spanish name the vocabulary entry they mean, and only it.

Every tag of ``kb/data/vocabulary.yaml`` has other names in ``kb/data/glossary.yaml``; these tables
check the common ways to say each one reach it through ``read_query``, and that everyday queries
near the field (jobs, housing, recycling bins, pensions) name no tag at all.
"""

from __future__ import annotations

import pytest

from kb.glossary import read_query, tag_names
from kb.vocabulary import FACETS, vocabulary

NAMED = [
    # themes
    ("fr", "repérage des publics", "mobilisation-publics"),
    ("en", "mobilizing people for the social clause", "mobilisation-publics"),
    ("de", "Teilnehmergewinnung", "mobilisation-publics"),
    ("es", "captación de participantes", "mobilisation-publics"),
    ("fr", "démarche d'aller-vers", "aller-vers"),
    ("en", "community outreach in the neighbourhood", "aller-vers"),
    ("de", "aufsuchende Sozialarbeit", "aller-vers"),
    ("es", "trabajo de calle", "aller-vers"),
    ("fr", "élargir les publics de la clause", "diversification-publics"),
    ("en", "widening the target groups", "diversification-publics"),
    ("de", "Diversifizierung der Zielgruppen", "diversification-publics"),
    ("es", "diversificación de colectivos", "diversification-publics"),
    ("fr", "diversifier les marchés supports", "diversification-marches"),
    ("en", "diversification of contracts", "diversification-marches"),
    ("de", "Diversifizierung der Aufträge", "diversification-marches"),
    ("es", "diversificación de los contratos", "diversification-marches"),
    ("fr", "clauses sociales et environnementales", "enjeux-sociaux-environnementaux"),
    ("en", "social and environmental criteria", "enjeux-sociaux-environnementaux"),
    ("de", "soziale und ökologische Kriterien", "enjeux-sociaux-environnementaux"),
    ("es", "cláusulas sociales y medioambientales", "enjeux-sociaux-environnementaux"),
    ("fr", "ressourcerie", "economie-circulaire"),
    ("en", "reuse of building materials", "economie-circulaire"),
    ("de", "Wiederverwendung", "economie-circulaire"),
    ("es", "reutilización", "economie-circulaire"),
    ("fr", "accès des SIAE à la commande publique", "iae-commande-publique"),
    ("en", "government procurement for work integration enterprises", "iae-commande-publique"),
    ("de", "öffentliche Auftragsvergabe an Integrationsbetriebe", "iae-commande-publique"),
    ("es", "contratación pública y empresas de inserción", "iae-commande-publique"),
    ("fr", "co-traitance entre associations", "groupement-structures"),
    ("en", "joint bidding", "groupement-structures"),
    ("de", "Bietergemeinschaft", "groupement-structures"),
    ("es", "unión temporal de empresas", "groupement-structures"),
    ("fr", "bailleurs et facilitateurs", "cooperation-bailleurs-facilitateurs"),
    ("en", "partnership with social landlords", "cooperation-bailleurs-facilitateurs"),
    ("de", "Zusammenarbeit mit Wohnungsbaugesellschaften", "cooperation-bailleurs-facilitateurs"),
    ("es", "cooperación con las entidades de vivienda social", "cooperation-bailleurs-facilitateurs"),
    ("fr", "animation territoriale", "reseau-facilitateurs"),
    ("en", "network of facilitators", "reseau-facilitateurs"),
    ("de", "Netzwerk der Fazilitatoren", "reseau-facilitateurs"),
    ("es", "red de facilitadores", "reseau-facilitateurs"),
    ("fr", "entreprises partenaires", "partenariats-entreprises"),
    ("en", "employer engagement", "partenariats-entreprises"),
    ("de", "Zusammenarbeit mit Unternehmen", "partenariats-entreprises"),
    ("es", "alianzas con empresas", "partenariats-entreprises"),
    ("fr", "sorties positives", "parcours-insertion"),
    ("en", "pathways into work", "parcours-insertion"),
    ("de", "nachhaltige Beschäftigung", "parcours-insertion"),
    ("es", "itinerarios de inserción", "parcours-insertion"),
    ("fr", "montée en compétences", "formation"),
    ("en", "vocational training", "formation"),
    ("de", "Weiterbildung", "formation"),
    ("es", "formación profesional", "formation"),
    ("fr", "rénovation urbaine", "renouvellement-urbain"),
    ("en", "urban regeneration", "renouvellement-urbain"),
    ("en", "neighborhood renewal", "renouvellement-urbain"),
    ("de", "Stadterneuerung", "renouvellement-urbain"),
    ("es", "regeneración urbana", "renouvellement-urbain"),
    ("fr", "achats socialement responsables", "achat-responsable"),
    ("en", "socially responsible procurement", "achat-responsable"),
    ("de", "nachhaltige Beschaffung", "achat-responsable"),
    ("es", "compra pública responsable", "achat-responsable"),
    ("fr", "sourçage", "sourcing"),
    ("en", "market sounding", "sourcing"),
    ("de", "Markterkundung", "sourcing"),
    ("es", "consulta preliminar del mercado", "sourcing"),
    # publics
    ("fr", "égalité femmes-hommes", "femmes"),
    ("fr", "mixité des métiers", "femmes"),
    ("en", "gender balance", "femmes"),
    ("de", "Frauenförderung", "femmes"),
    ("es", "igualdad de género", "femmes"),
    ("fr", "jeunesse", "jeunes"),
    ("en", "young adults", "jeunes"),
    ("de", "junge Menschen", "jeunes"),
    ("es", "juventud", "jeunes"),
    ("fr", "jeunes diplômés", "jeunes-diplomes"),
    ("en", "recent graduates", "jeunes-diplomes"),
    ("de", "Hochschulabsolventen", "jeunes-diplomes"),
    ("es", "recién titulados", "jeunes-diplomes"),
    ("fr", "travailleurs âgés", "seniors"),
    ("en", "older jobseekers", "seniors"),
    ("de", "ältere Arbeitnehmer", "seniors"),
    ("es", "trabajadores mayores", "seniors"),
    ("fr", "quartiers populaires", "habitants-qpv"),
    ("en", "deprived neighbourhoods", "habitants-qpv"),
    ("en", "disadvantaged neighborhoods", "habitants-qpv"),
    ("de", "benachteiligte Stadtteile", "habitants-qpv"),
    ("es", "barrios desfavorecidos", "habitants-qpv"),
    ("fr", "locataires HLM", "locataires"),
    ("en", "social housing tenants", "locataires"),
    ("de", "Sozialmieter", "locataires"),
    ("es", "inquilinos de vivienda social", "locataires"),
    ("fr", "changement de métier", "reconversion"),
    ("en", "reskilling", "reconversion"),
    ("de", "Umschulung", "reconversion"),
    ("es", "reconversión profesional", "reconversion"),
    ("fr", "personnes en insertion", "salaries-insertion"),
    ("en", "integration workers", "salaries-insertion"),
    ("de", "geförderte Beschäftigte", "salaries-insertion"),
    ("es", "trabajadores de inserción", "salaries-insertion"),
    ("fr", "chômeurs de longue durée", "eloignes-emploi"),
    ("en", "people furthest from the labour market", "eloignes-emploi"),
    ("de", "Langzeitarbeitslose", "eloignes-emploi"),
    ("es", "personas en riesgo de exclusión social", "eloignes-emploi"),
    ("fr", "travailleurs handicapés", "handicap"),
    ("en", "people with disabilities", "handicap"),
    ("de", "Menschen mit Behinderung", "handicap"),
    ("es", "personas con discapacidad", "handicap"),
    # market types
    ("fr", "travaux de construction", "travaux"),
    ("en", "public works contracts", "travaux"),
    ("de", "Bauaufträge", "travaux"),
    ("es", "contratos de obras", "travaux"),
    ("fr", "prestations de services", "services"),
    ("en", "service contracts", "services"),
    ("de", "Dienstleistungsaufträge", "services"),
    ("es", "contratos de servicios", "services"),
    ("fr", "marchés d'études et de conseil", "prestations-intellectuelles"),
    ("en", "consulting contracts", "prestations-intellectuelles"),
    ("de", "Beratungsleistungen", "prestations-intellectuelles"),
    ("es", "servicios de consultoría", "prestations-intellectuelles"),
    ("es", "contratos de servicios intelectuales", "prestations-intellectuelles"),  # the entry, not « servicios »
    ("fr", "achats de fournitures", "fournitures"),
    ("en", "supply of goods", "fournitures"),
    ("de", "Lieferaufträge", "fournitures"),
    ("es", "contratos de suministro", "fournitures"),
    ("fr", "clause de réservation", "marches-reserves"),
    ("en", "reserved contracts", "marches-reserves"),
    ("de", "vorbehaltene Aufträge", "marches-reserves"),
    ("es", "contratos reservados", "marches-reserves"),
    ("fr", "marché de qualification et d'insertion", "marches-insertion"),
    ("en", "integration and qualification contracts", "marches-insertion"),
    ("de", "Aufträge zur beruflichen Eingliederung", "marches-insertion"),
    ("es", "contratos de inserción y cualificación", "marches-insertion"),
    ("fr", "propreté des quartiers", "gestion-urbaine-proximite"),
    ("en", "neighbourhood management", "gestion-urbaine-proximite"),
    ("de", "Quartiersmanagement", "gestion-urbaine-proximite"),
    ("es", "gestión urbana de proximidad", "gestion-urbaine-proximite"),
    # actor types
    ("fr", "services déconcentrés", "services-etat"),
    ("en", "central government", "services-etat"),
    ("de", "staatliche Behörden", "services-etat"),
    ("es", "Administración General del Estado", "services-etat"),
    ("fr", "collectivités territoriales", "collectivites"),
    ("en", "local authorities", "collectivites"),
    ("de", "Kommunen", "collectivites"),
    ("es", "ayuntamientos", "collectivites"),
    ("fr", "Cap emploi", "service-public-emploi"),
    ("en", "jobcentre", "service-public-emploi"),
    ("de", "Agentur für Arbeit", "service-public-emploi"),
    ("es", "oficina de empleo", "service-public-emploi"),
    ("fr", "maison de l'emploi", "maisons-emploi-plie"),
    ("en", "local employment pact", "maisons-emploi-plie"),
    ("de", "territorialer Beschäftigungspakt", "maisons-emploi-plie"),
    ("es", "pacto territorial por el empleo", "maisons-emploi-plie"),
    ("fr", "entreprises d'insertion", "siae"),
    ("en", "work integration social enterprises", "siae"),
    ("de", "Beschäftigungsträger", "siae"),
    ("es", "empresas de inserción", "siae"),
    ("fr", "entreprise sociale pour l'habitat", "bailleurs-sociaux"),
    ("en", "housing associations", "bailleurs-sociaux"),
    ("de", "Wohnungsbaugesellschaften", "bailleurs-sociaux"),
    ("es", "vivienda social", "bailleurs-sociaux"),
    ("fr", "centres sociaux", "associations-proximite"),
    ("en", "grassroots organizations", "associations-proximite"),
    ("de", "Stadtteilvereine", "associations-proximite"),
    ("es", "asociaciones de vecinos", "associations-proximite"),
    ("fr", "facilitatrices", "facilitateurs"),
    ("en", "social clause facilitators", "facilitateurs"),
    ("de", "Fazilitatoren", "facilitateurs"),
    ("es", "facilitadores", "facilitateurs"),
    ("fr", "entreprises attributaires", "entreprises"),
    ("en", "successful bidders", "entreprises"),
    ("de", "Auftragnehmer", "entreprises"),
    ("es", "empresas adjudicatarias", "entreprises"),
    ("fr", "pouvoirs adjudicateurs", "acheteurs-publics"),
    ("en", "contracting authorities", "acheteurs-publics"),
    ("de", "öffentliche Auftraggeber", "acheteurs-publics"),
    ("es", "órgano de contratación", "acheteurs-publics"),
]

NAMES_NOTHING = [
    ("fr", "recette de la pizza"),
    ("fr", "météo demain à Paris"),
    ("fr", "anniversaire des 50 ans de ma mère"),
    ("fr", "carte grise en préfecture"),
    ("fr", "apprentissage de l'anglais en ligne"),
    ("fr", "règles communes du jeu de tarot"),
    ("fr", "politique de la ville de Paris sur le vélo"),
    ("fr", "réforme des retraites"),
    ("fr", "l'alternance politique en France"),
    ("fr", "direction des achats d'un grand groupe"),
    ("fr", "comment aller à la gare"),  # « aller-vers » without its « vers », a stop word
    ("fr", "clause sociale en tenant compte des contraintes du chantier"),  # « tenant »: French too
    ("en", "football match results"),
    ("en", "weather tomorrow"),
    ("en", "job interview tips for developers"),
    ("en", "pension reform"),
    ("en", "marathon training plan"),
    ("en", "which day are recycling bins collected in my street"),
    ("en", "top ten laptops of the year"),
    ("en", "how to write a cover letter"),
    ("en", "national government shutdown news"),
    ("en", "estate planning for my house"),
    ("en", "market engagement strategy for a startup"),
    ("en", "new types of employment contracts"),
    ("en", "sale and purchase of goods online"),
    ("de", "Rentenreform 2025"),
    ("de", "Wetter morgen in Berlin"),
    ("de", "Zielgruppenansprache im Marketing"),
    ("es", "receta de paella"),
    ("es", "reforma de las pensiones"),
    ("en", "train timetable to Lyon"),  # « training » names a tag; « train » is not one of its forms
    ("en", "top ten films"),  # the French stemmer reads « tenants » as « ten »
    ("de", "Wohnung mieten in München"),  # « mieten » is not a form of « Mieter »
    ("es", "consejos para una entrevista de trabajo de programador"),
]


def test_every_vocabulary_entry_has_other_names() -> None:
    keys = {key for facet in FACETS for key in vocabulary().terms[facet]}
    assert keys <= set(tag_names())
    covered = {(lang, key) for lang, _, key in NAMED}
    assert covered == {(lang, key) for lang in ("fr", "en", "de", "es") for key in keys}


@pytest.mark.parametrize(("lang", "query", "key"), NAMED)
def test_a_query_names_its_vocabulary_entry(lang: str, query: str, key: str) -> None:
    assert key in read_query(query).tags, (lang, query)


@pytest.mark.parametrize(
    ("query", "key"),
    [
        ("council tenant", "locataires"),  # named « council tenants »: the French stemmer reads « ten »
        ("jobs for its own tenants", "locataires"),  # « =tenants »: that exact word only
        ("Mieterinnen und Mieter", "locataires"),
        ("inquilino", "locataires"),  # named « inquilinos »
        ("benachteiligten Stadtteilen", "habitants-qpv"),  # named « benachteiligte Stadtteile »
        ("Jugendlichen", "jeunes"),  # named « Jugendliche »
        ("mujer desempleada", "femmes"),  # named « mujeres desempleadas »
        ("personas desempleadas de larga duración", "eloignes-emploi"),  # named « desempleados de … »
        ("contratar a jóvenes tituladas", "jeunes-diplomes"),  # named « jóvenes titulados »
        ("intermunicipal bodies", "collectivites"),  # named « intermunicipal body » (« bodi », « body »)
        ("social clause officers", "facilitateurs"),  # named « social clause officer » (« offic »)
    ],
)
def test_an_inflected_form_in_another_language_names_the_entry(query: str, key: str) -> None:
    assert key in read_query(query).tags


@pytest.mark.parametrize("query", ["commande publique", "government procurement", "contratación pública"])
def test_public_procurement_alone_names_no_theme(query: str) -> None:
    """Nearly every query of the field is about public procurement: the theme « La commande
    publique, une opportunité pour les structures de l'IAE » needs both (``tags_named_together``)."""
    named = read_query(query)
    assert [e.term for _, e in named.entries] == ["commande publique"] and named.tags == {}
    assert "iae-commande-publique" in read_query(f"SIAE et {query}").tags


@pytest.mark.parametrize(("query", "key"), [("facilitadores", "facilitateurs"), ("diputación", "collectivites")])
def test_a_spanish_plural_in_es_meets_its_singular(query: str, key: str) -> None:
    """« facilitador » and « diputaciones » are names; the stemmer cuts both forms further (« facilit »)."""
    assert key in read_query(query).tags


@pytest.mark.parametrize("query", ["aller-vers", "démarche d'aller vers les habitants", "Aller-Vers"])
def test_a_hyphenated_name_holding_a_stop_word_counts_whole(query: str) -> None:
    assert "aller-vers" in read_query(query).tags


@pytest.mark.parametrize(("lang", "query"), NAMES_NOTHING)
def test_a_query_outside_the_field_names_no_tag(lang: str, query: str) -> None:
    assert read_query(query).tags == {}, (lang, query)
