"""The meetings as the programmes print them: every session shown, searchable apart from the
sheets, and disagreeing speaker data shown as each source prints it (issue 15 §5)."""

from __future__ import annotations

import re

from flask.testing import FlaskClient

from kb.sessions import search_sessions, speaker_differences
from kb.sheet import Sheet, Speaker
from kb.vocabulary import meetings, vocabulary


def test_every_session_of_every_programme_is_on_the_meetings_page(client: FlaskClient) -> None:
    html = client.get("/rencontres").get_data(as_text=True)
    for meeting in meetings().values():
        for session in meeting.sessions:
            assert f'id="{meeting.id}-{session.id}"' in html, (meeting.id, session.id)
    for title in (
        "Présentation du Tour de France de la clause sociale",
        "Croisement de regards sur les ateliers de l",
        "Clôture de la rencontre",
    ):
        assert title in html
    assert "Selon le programme" in html and "Autres sources" in html


def test_session_themes_are_vocabulary_keys() -> None:
    themes = vocabulary().terms["themes"]
    assert all(t in themes for m in meetings().values() for s in m.sessions for t in s.themes)


def test_organisers_search_the_sessions_apart_from_the_sheets(client: FlaskClient) -> None:
    found = [(m.meeting.region, m.session.label) for m in search_sessions("la formation comme levier d'insertion")]
    # the two sessions on training first (Hauts-de-France's workshop n°2, Grand Est's workshop A)
    assert set(found[:2]) == {("Hauts-de-France", "Atelier n°2"), ("Grand Est", "Atelier A")}
    assert search_sessions("clause sociale") == []  # words every session shares find nothing
    page = client.get("/rencontres?q=la+formation+comme+levier").get_data(as_text=True)
    results = page[page.index('id="sessions-trouvees"') : page.index('class="meeting"')]
    assert "La formation comme levier d&#39;insertion professionnelle" in results
    assert "/fiches/" not in results  # sessions only; the sheets are one link away
    planner = client.get("/ateliers/planifier?sujet=la+formation+comme+levier+d%27insertion").get_data(as_text=True)
    already = planner[planner.index('id="deja"') :]
    assert "Atelier n°2 — La formation comme levier d&#39;insertion professionnelle" in already


def test_disagreeing_speakers_are_shown_as_each_source_prints_them(client: FlaskClient) -> None:
    atelier_d = meetings()["bourgogne-franche-comte-2022"].session("atelier-d")
    sheet = Sheet(
        id="x",
        title="x",
        speakers=[Speaker("Benjamin Joly", "Chargé de mission", "TAPAJ"), Speaker("Catherine RUFFET", None, "IDEIS")],
    )
    assert [s.name for s in speaker_differences(sheet, atelier_d)] == ["Benjamin Joly"]
    # the programme prints Océane CHARRET-GODARD's functions on one line, no organisation; the sheet says CREATIV'
    intro = meetings()["bourgogne-franche-comte-2022"].session("introduction")
    same_person = Sheet(id="y", title="y", speakers=[Speaker("Océane Charret-Godard", None, "CREATIV'")])
    assert [s.organisation for s in speaker_differences(same_person, intro)] == ["CREATIV'"]
    agreeing = Sheet(id="z", title="z", speakers=[Speaker("Catherine Ruffet", "Facilitatrice", "Ideis")])
    assert speaker_differences(agreeing, atelier_d) == []
    page = client.get("/fiches/tapaj-c3b-nettoyage-chantiers-jeunes").get_data(as_text=True)
    programme = page[page.index("<dt>Selon le programme</dt>") :]
    programme = programme[: programme.index("</dd>")]
    assert "Dominique BREHON" in programme  # each source named as people name it
    assert "Programme de la rencontre régionale Bourgogne-Franche-Comté" in programme
    assert "Compte rendu de la rencontre régionale Bourgogne-Franche-Comté" in programme
    assert "Benjamin Joly" in page[: page.index("<dt>Selon le programme</dt>")]  # the sheet's own list, kept
    meetings_page = client.get("/rencontres").get_data(as_text=True)
    atelier = meetings_page[meetings_page.index('id="bourgogne-franche-comte-2022-atelier-d"') :]
    atelier = atelier[: atelier.index("</li>\n  \n")] if "</li>\n  \n" in atelier else atelier[:6000]
    assert "Dominique BREHON" in atelier and re.search(
        r"La fiche \(tirée du compte rendu\) nomme\s+<strong>Benjamin Joly", atelier
    )
