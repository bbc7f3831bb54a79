"""The organisations a query names (the "who" of the sheets, as search evidence)."""

from __future__ import annotations

from kb.organisations import OrganisationNames, names


def test_an_organisation_answers_to_its_whole_name_and_to_each_part_around_parentheses() -> None:
    anar = "ANAR (Association Nivernaise Accueil et Réinsertion)"
    assert names(anar) == [
        ("anar", "association", "nivernaise", "accueil", "et", "reinsertion"),
        ("anar",),
        ("association", "nivernaise", "accueil", "et", "reinsertion"),
    ]
    assert names("LA") == [] and names("C3B") == [("c3b",)]  # one word: an acronym of three or more
    assert names("Emploi") == [] and names("Mairie de Dijon") == [("mairie", "de", "dijon")]


def test_a_query_names_organisations_as_whole_words_in_order_accents_and_case_aside() -> None:
    found = OrganisationNames(["AGIRE", "Grand Besançon Métropole", "Habitat 25", "Grand Besançon", "AGIRE"])
    assert found.named("que fait agire ?") == {"AGIRE": "agire"}
    assert found.named("grand besancon metropole et Habitat 25") == {
        "Grand Besançon Métropole": "grand besancon metropole",  # the longest name, not « Grand Besançon »
        "Habitat 25": "habitat 25",
    }
    assert found.named("grand besançon") == {"Grand Besançon": "grand besancon"}
    assert found.named("agir ensemble, métropole de Besançon, habitat") == {}  # no stem, no part, no order
