"""The glossary as data, read into queries, and acronyms explained in pages."""

from __future__ import annotations

from markupsafe import Markup

from kb.glossary import entries, explain_acronyms, read_query, tag_names
from kb.text import terms
from kb.vocabulary import FACETS, vocabulary


def test_every_entry_is_defined_sourced_and_tagged_with_known_keys() -> None:
    known = {key for facet in FACETS for key in vocabulary().terms[facet]}
    terms = [e.term for e in entries()]
    assert len(terms) == len(set(terms)) >= 40
    for entry in entries():
        assert entry.definition.endswith(".") and entry.source, entry.term
        assert set(entry.tags) <= known, entry.term
    assert set(tag_names()) <= known
    wanted = {"SIAE", "IAE", "ACI", "AI", "EI", "ETTI", "EA", "ESAT", "GEIQ", "QPV", "ANRU", "NPNRU", "PNRU"}
    assert wanted | {"ANCT", "PLIE", "MDE", "SPE", "ESS", "BTP", "HLM", "PMSMP", "SPASER", "VNF", "DCE"} <= set(terms)


def test_an_acronym_names_its_entry_and_tag_and_expands_in_french() -> None:
    named = read_query("ANRU")
    assert [e.term for _, e in named.entries] == ["ANRU"]
    assert named.tags == {"renouvellement-urbain": "ANRU"}
    assert "Agence nationale pour la rénovation urbaine" in named.expanded("ANRU")
    assert "Renouvellement urbain" in named.expansion


def test_an_acronym_named_as_written_or_spelt_out_says_the_query_is_of_the_field() -> None:
    assert read_query("VNF").names_acronym and read_query("marchés de Voies navigables de France").names_acronym
    assert not read_query("formulaire de demande de logement social").names_acronym  # HLM by a synonym only
    assert not read_query("clause sociale").names_acronym  # an entry, not an acronym


def test_acronyms_that_are_words_count_only_in_capitals() -> None:
    assert read_query("ai besoin d'aide").entries == []
    assert [e.term for _, e in read_query("une AI du Doubs").entries] == ["AI"]
    assert read_query("ess").entries == [] and read_query("ESS").entries


def test_english_and_other_languages_reach_the_french_vocabulary() -> None:
    landlords = read_query("social landlords")
    assert "bailleurs-sociaux" in landlords.tags and "bailleur social" in landlords.expansion
    assert "economie-circulaire" in read_query("Kreislaufwirtschaft").tags
    assert read_query("women").tags == {"femmes": "women"}
    assert "Publics féminins" in read_query("women").expansion


def test_the_longest_name_wins() -> None:
    assert set(read_query("jeunes diplômés").tags) == {"jeunes-diplomes"}
    assert read_query("recette de la pizza").tags == {}


def test_explain_acronyms_wraps_capitals_outside_tags_only() -> None:
    html = explain_acronyms(Markup('<a href="/x?q=ANRU">ANRU</a> et les SIAE, mais ai et <abbr title="x">QPV</abbr>'))
    assert 'href="/x?q=ANRU"' in html  # attribute untouched
    assert '<abbr title="Agence nationale pour la rénovation urbaine">ANRU</abbr>' in html
    assert '<abbr title="Structure d&#x27;insertion par l&#x27;activité économique">SIAE</abbr>' in html
    assert " ai " in html and html.count("<abbr") == 3
    assert "&lt;script&gt;" in explain_acronyms("<script>")  # plain text is escaped


def test_a_long_name_matches_with_one_word_slipped_inside_unless_a_name_as_long_holds_it() -> None:
    assert read_query("partnerships with private companies").tags == {
        "entreprises": "private companies",
        "partenariats-entreprises": "partnerships with companies",
    }
    assert read_query("public works contracts").tags == {"travaux": "public works contracts"}
    assert set(read_query("contratos de obras públicas").tags) == {"travaux"}
    assert set(read_query("young disabled people").tags) == {"handicap"}
    assert read_query("social clauses in service concession contracts").tags == {}  # two words: no gap


def test_everyday_words_of_other_languages_bring_their_french_words() -> None:
    assert read_query("cleaning construction sites").translation == "nettoyage entretien ; chantier chantiers"
    assert read_query("Reinigung der Baustellen").translation == "nettoyage entretien ; chantier chantiers"
    assert read_query("limpieza de obras").translation == "nettoyage entretien ; chantier chantiers"
    assert [t[:2] for t in read_query("long-term partnerships to fill hard-to-recruit jobs").translations] == [
        ("long-term", "durable, pérenne"),  # the words as written, for a hit's reasons
        ("partnerships", "partenariat, coopération"),
        ("hard-to-recruit", "métiers en tension, secteurs en tension"),
        ("jobs", "emploi"),
    ]
    for query in ("recruiting", "recruitment", "Rekrutierung", "reclutamiento"):  # derivations meet
        assert read_query(query).translation == "recrutement embauche", query


def test_the_lexicons_words_are_for_the_keyword_side_of_a_query_in_another_language_only() -> None:
    named = read_query("waste sorting")
    assert "déchets" in named.expanded("waste sorting", translate=True)
    assert "déchets" not in named.expanded("waste sorting") and named.tags == {} and named.entries == []


def test_the_lexicon_leaves_glossary_names_and_function_words_alone() -> None:
    assert read_query("colaboración con empresas privadas").translation == ""  # partnerships, not any cooperation
    # « para » is a function word, never « parados » (jobseekers) through a three-letter stem
    assert read_query("empresas que se agrupan para licitar").translation == "groupement ; répondre candidature offre"


def test_the_expanded_querys_terms_are_read_phrase_by_phrase_as_from_the_whole_text() -> None:
    for query in ("ANRU waste sorting", "Reinigungsauftrag für Schulbaustellen", "clause sociale (marchés) ; l'IAE"):
        for named in (read_query(query), read_query(query).with_compounds()):
            for translate in (False, True):
                assert named.expanded_terms(query, translate) == terms(named.expanded(query, translate))
    assert "dechet" in read_query("waste sorting").expanded_terms("waste sorting", translate=True)


def test_a_french_query_is_read_without_the_lexicon_to_the_same_french_words() -> None:
    query = "nettoyage de chantiers par des jeunes ANRU"
    full, french = read_query(query), read_query(query, lexicon=False)
    assert french.translations == french.unread == [] and full.unread
    assert (french.entries, french.tags, french.expansion) == (full.entries, full.tags, full.expansion)
    assert french.expanded_terms(query) == full.expanded_terms(query)
    assert french.spelled_out(query) == full.spelled_out(query)


def test_the_model_reads_the_lexicons_words_in_place_and_the_keyword_side_beside() -> None:
    named = read_query("ANRU waste sorting")
    assert named.spelled_out("ANRU waste sorting") == "ANRU waste sorting (Agence nationale pour la rénovation urbaine)"
    assert named.spelled_out("ANRU waste sorting", translate=True) == (
        "ANRU déchets tri (Agence nationale pour la rénovation urbaine)"
    )
    assert "déchets ; tri" in named.expanded("ANRU waste sorting", translate=True)
    # the first French word of each, in the place it was read: not inside a glossary name
    cleaning = read_query("cleaning staff")
    assert cleaning.spelled_out("cleaning staff", translate=True) == "nettoyage salariés"
    query = "social housing staff and housing"  # « social housing » is a glossary name
    assert read_query(query).spelled_out(query, translate=True) == "social housing salariés and logement"


def test_the_model_reads_an_acronyms_full_form_where_the_query_writes_the_acronym_only() -> None:
    for query, language in [("tenants of social housing", "en"), ("associations intermédiaires du Doubs", "fr")]:
        named = read_query(query, lexicon=language != "fr")
        assert any(entry.is_acronym and entry.full for _, entry in named.entries)  # HLM, AI: named in words
        assert "(" not in named.spelled_out(query, translate=language != "fr")
    query = "office HLM et facilitateur"
    assert read_query(query).spelled_out(query) == "office HLM et facilitateur (Habitation à loyer modéré)"
    query = "les SIAEs du Doubs"  # written, in the plural
    assert read_query(query).spelled_out(query).endswith("(Structure d'insertion par l'activité économique)")
    query = "j'ai un groupement d'associations intermédiaires"  # « ai » is not the acronym AI
    assert read_query(query, lexicon=False).spelled_out(query) == query


def test_an_acronym_in_capitals_is_read_after_an_elided_article_and_in_the_plural() -> None:
    for query, term in [
        ("acteurs de l'ESS", "ESS"),
        ("acteurs de l’ESS", "ESS"),
        ("l'EA de Dijon", "EA"),
        ("groupement d'AI du Doubs", "AI"),
        ("les EAs de Dijon", "EA"),
    ]:
        named = read_query(query, lexicon=False)
        assert [entry.term for _, entry in named.entries] == [term]
        assert named.spelled_out(query).endswith(f"({named.entries[0][1].full})")
    # « ai » of « j'ai », an acronym inside a hyphenated word, a word that is also an acronym
    for query in ("j'ai un marché", "J'AI un marché", "AI-generated tender analysis", "il plie le papier"):
        assert read_query(query, lexicon=False).entries == []


def test_the_full_form_of_an_acronym_written_inside_another_name_is_read_once() -> None:
    query = "lots réservés aux structures de l'IAE"  # SIAE's name, which writes IAE
    assert read_query(query).spelled_out(query).endswith("(Insertion par l'activité économique)")
    query = "associations intermédiaires AI"  # the full form said already, in the plural
    assert read_query(query, lexicon=False).spelled_out(query) == query
    query = "ANRU et NPNRU, ANRU-funded"
    assert read_query(query).spelled_out(query) == (
        f"{query} (Agence nationale pour la rénovation urbaine ; Nouveau programme national de renouvellement urbain)"
    )


def test_a_german_compound_is_read_through_the_parts_the_lexicon_knows() -> None:
    query = "Reinigungsauftrag für Schulbaustellen"
    assert read_query(query).translations == []  # the searcher reads it as German first
    named = read_query(query).with_compounds()
    assert [(t.said, t.french) for t in named.translations] == [
        ("Reinigungsauftrag", "nettoyage marché, entretien, marchés"),  # « Reinigung-s-auftrag »
        ("Schulbaustellen", "collèges chantier, écoles, chantiers"),
    ]
    assert named.spelled_out(query, translate=True) == "nettoyage marché für collèges chantier"
    # a part the lexicon does not know stays as written for the model, out of the keyword side
    frauen = read_query("Frauenanteil erhöhen").with_compounds()
    assert frauen.spelled_out("Frauenanteil erhöhen", translate=True) == "Frauen part erhöhen"
    assert frauen.translation == "part pourcentage"
    assert read_query("Sozialklausel").with_compounds().translations == []  # a glossary name: left to it
    # a letter whose lower case is two characters (« İ ») leaves the parts where they are written
    istanbul = read_query("İstanbulbaustellen").with_compounds()
    assert istanbul.spelled_out("İstanbulbaustellen", translate=True) == "İstanbul chantier"
