"""Forms (Flask-WTF: CSRF on every one, French messages next to each field, length limits)."""

from __future__ import annotations

from flask import Flask, request
from flask_wtf import FlaskForm
from werkzeug.datastructures import ImmutableMultiDict
from wtforms import (
    BooleanField,
    Field,
    PasswordField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Email, Length, Optional, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from kb.french import format_number
from kb.sheet import SECTIONS, Sheet, format_speaker, parse_speaker
from kb.text import strip_controls
from kb.validation import MAX_FIELD, MAX_SECTION
from kb.vocabulary import FACET_LABELS, meetings, vocabulary
from web.errors import bad_request

REQUIRED = "Ce champ est obligatoire."
NOT_TEXT = "Ce formulaire n'accepte que du texte dans ses champs (pas de fichier joint) : envoyez-le depuis la page."
MAX_ORGANISATIONS = 10
MONTHS = (
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
)


class MaxLength:
    """A length limit the contributor sees (a counter, no ``maxlength`` that would silently cut a
    pasted text) and that says by how much a text is too long."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.field_flags = {"limit": limit}

    def __call__(self, form: FlaskForm, field: Field) -> None:
        length = len(field.data or "")
        if length > self.limit:
            raise ValidationError(
                f"{format_number(self.limit)} caractères au plus ; votre texte en compte {format_number(length)}."
            )


class MultiCheckbox(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


def _choices(facet: str) -> list[SelectChoice]:
    return [SelectChoice(key, label) for key, label in vocabulary().terms[facet].items()]


def _workshop_choices() -> list[SelectChoice]:
    out = [SelectChoice("", "Aucun")]
    for meeting in meetings().values():
        out += [SelectChoice(f"{meeting.id}/{s.id}", s.heading, optgroup=meeting.title) for s in meeting.sessions]
    return out


def init_app(app: Flask) -> None:
    """After the CSRF check (registered before): a POST carrying files or JSON is refused."""
    app.before_request(refuse_non_text)


def refuse_non_text() -> None:
    """Every form here is text: a file part or a JSON body gets a 400 with a French message (a
    file part read as a field's text used to give a 500)."""
    if request.method == "POST" and (request.files or request.is_json):
        raise bad_request(NOT_TEXT)


class Form(FlaskForm):
    """Every form's base: it reads only the text of a request, and its text fields lose control
    characters (a terminal or a Markdown reader would obey them)."""

    class Meta(FlaskForm.Meta):
        def wrap_formdata(self, form, formdata):  # type: ignore[no-untyped-def]
            """Only the text of the request: ``refuse_non_text`` answered 400 already when there
            was anything else, and the page showing that refusal builds the form from the text."""
            try:  # Flask-WTF reads a JSON body too: it may hold a list, objects, numbers
                data = super().wrap_formdata(form, formdata)
            except (TypeError, ValueError):
                return None
            if data is None:
                return None
            return ImmutableMultiDict([(k, v) for k, values in data.lists() for v in values if isinstance(v, str)])

        def bind_field(self, form, unbound_field, options):  # type: ignore[no-untyped-def]
            if issubclass(unbound_field.field_class, StringField):
                options = {**options, "filters": (*unbound_field.kwargs.get("filters", ()), _without_controls)}
            return super().bind_field(form, unbound_field, options)


def _without_controls(value: object) -> object:
    return strip_controls(value) if isinstance(value, str) else value


class SheetFields(Form):
    """The sheet itself, shared by the survey form and the moderators' editor."""

    title = StringField(
        "Titre de la pratique",
        validators=[DataRequired(REQUIRED), MaxLength(MAX_FIELD)],
    )
    organisations = TextAreaField(
        "Structure(s) porteuse(s)",
        description="Une par ligne.",
        validators=[DataRequired(REQUIRED), MaxLength(1000)],
    )
    speakers = TextAreaField(
        "Intervenant·es",
        description="Une personne par ligne : Nom, fonction, structure.",
        validators=[Optional(), MaxLength(2000)],
    )
    region = SelectField("Région", validators=[DataRequired(REQUIRED)])
    territory = StringField(
        "Territoire (ville, département, quartier…)",
        validators=[Optional(), MaxLength(MAX_FIELD)],
    )
    month = SelectField(
        "Mois de la pratique",
        choices=[SelectChoice("", "Non précisé"), *(SelectChoice(f"{i:02d}", m) for i, m in enumerate(MONTHS, 1))],
        validators=[Optional()],
    )
    year = StringField(
        "Année de la pratique",
        description="Quatre chiffres, par exemple 2022.",
        validators=[DataRequired("Indiquez l'année de la pratique (par exemple 2022).")],
    )
    workshop = SelectField("Présentée lors d'une rencontre ?", validators=[Optional()])
    context = TextAreaField(
        "Contexte",
        validators=[DataRequired(REQUIRED), MaxLength(MAX_SECTION)],
    )
    objectives = TextAreaField("Objectifs", validators=[Optional(), MaxLength(MAX_SECTION)])
    actions = TextAreaField(
        "Actions menées",
        validators=[DataRequired(REQUIRED), MaxLength(MAX_SECTION)],
    )
    advice = TextAreaField("Conseils", validators=[Optional(), MaxLength(MAX_SECTION)])
    outlook = TextAreaField("Perspectives", validators=[Optional(), MaxLength(MAX_SECTION)])

    themes = MultiCheckbox(
        FACET_LABELS["themes"], choices=_choices("themes"), validators=[DataRequired("Choisissez au moins un thème.")]
    )
    publics = MultiCheckbox(FACET_LABELS["publics"], choices=_choices("publics"))
    market_types = MultiCheckbox(FACET_LABELS["market_types"], choices=_choices("market_types"))
    actor_types = MultiCheckbox(FACET_LABELS["actor_types"], choices=_choices("actor_types"))

    def __init__(self, *args, **kwargs) -> None:  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        self.region.choices = [SelectChoice("", "Choisir…"), *(SelectChoice(r, r) for r in vocabulary().regions)]
        self.workshop.choices = _workshop_choices()

    def validate_organisations(self, field: StringField) -> None:
        if len(lines(field.data)) > MAX_ORGANISATIONS:
            raise ValidationError(f"{MAX_ORGANISATIONS} structures au plus.")

    def validate_year(self, field: StringField) -> None:
        field.data = (field.data or "").strip()
        if not (field.data.isascii() and field.data.isdigit() and 1990 <= int(field.data) <= 2100):
            raise ValidationError("Indiquez une année en quatre chiffres entre 1990 et 2100 (par exemple 2022).")

    def validate_speakers(self, field: StringField) -> None:
        if len(lines(field.data)) > 20:
            raise ValidationError("20 intervenant·es au plus.")

    def to_sheet(self, sheet_id: str) -> Sheet:
        event, _, workshop = (self.workshop.data or "").partition("/")
        speakers = [parse_speaker(line) for line in lines(self.speakers.data)]
        return Sheet(
            id=sheet_id,
            title=" ".join(self.title.data.split()),
            organisations=lines(self.organisations.data),
            speakers=speakers,
            region=self.region.data or None,
            territory=(self.territory.data or "").strip() or None,
            event=event or None,
            workshop=workshop or None,
            date=f"{self.year.data}-{self.month.data}" if self.month.data else str(self.year.data),
            themes=list(self.themes.data or []),
            publics=list(self.publics.data or []),
            market_types=list(self.market_types.data or []),
            actor_types=list(self.actor_types.data or []),
            source=None,
            sections={key: (getattr(self, key).data or "").strip() for key in SECTIONS},
        )

    def fill_from(self, sheet: Sheet) -> None:
        self.title.data = sheet.title
        self.organisations.data = "\n".join(sheet.organisations)
        self.speakers.data = "\n".join(format_speaker(s) for s in sheet.speakers)
        self.region.data = sheet.region or ""
        self.territory.data = sheet.territory or ""
        self.themes.data, self.publics.data = sheet.themes, sheet.publics
        self.market_types.data, self.actor_types.data = sheet.market_types, sheet.actor_types
        self.workshop.data = f"{sheet.event}/{sheet.workshop}" if sheet.event and sheet.workshop else ""
        self.year.data = str(sheet.year or "")
        self.month.data = sheet.date[5:7] if sheet.date and len(sheet.date) >= 7 else ""
        for key in SECTIONS:
            getattr(self, key).data = sheet.sections[key]


def name_field() -> StringField:
    return StringField("Votre nom", validators=[DataRequired(REQUIRED), MaxLength(120)])


def email_field(description: str) -> StringField:
    return StringField(
        "Votre adresse e-mail",
        description=description,
        validators=[
            DataRequired(REQUIRED),
            Email("Adresse e-mail invalide."),
            MaxLength(200),
        ],
    )


class ContributionForm(SheetFields):
    contact_name = name_field()
    contact_email = email_field("Pour vous recontacter ; jamais publiée.")
    consent = BooleanField(
        "J'accepte que mon nom et mon adresse e-mail soient conservés par l'équipe de Recueil pour me recontacter "
        "au sujet de cette fiche. Ils ne sont jamais publiés.",
        validators=[DataRequired("Votre accord est nécessaire pour envoyer la fiche.")],
        render_kw={"data-summary": "Votre accord"},  # the error summary's name for this long label
    )


class ContactRequestForm(Form):
    """« Demander une mise en relation »: read by moderators only, who answer by their own means."""

    name = name_field()
    email = email_field("Pour que l'équipe de Recueil vous réponde ; jamais publiée ni transmise sans votre accord.")
    message = TextAreaField(
        "Votre message",
        description="Qui vous êtes, ce que vous aimeriez savoir sur cette pratique.",
        validators=[
            DataRequired(REQUIRED),
            Length(min=10, message="10 caractères au moins."),
            MaxLength(2000),
        ],
    )


class SummaryForm(Form):
    summary = TextAreaField(
        "En bref",
        description="Deux ou trois phrases recopiées de la fiche, telles qu'elles y sont écrites. "
        "Vide : l'extrait automatique.",
        validators=[MaxLength(800)],
    )


class LoginForm(Form):
    name = StringField("Identifiant", validators=[DataRequired(REQUIRED), Length(max=40)])
    password = PasswordField("Mot de passe", validators=[DataRequired(REQUIRED), Length(max=200)])


class RejectForm(Form):
    reason = TextAreaField("Motif du refus", validators=[DataRequired("Indiquez un motif."), Length(max=2000)])


class MergeForm(Form):
    target = SelectField("Fusionner dans la fiche publiée", validators=[DataRequired(REQUIRED)])


class ActionForm(Form):
    """A button that changes something: only its CSRF token."""


def lines(text: str | None) -> list[str]:
    return [" ".join(line.split()) for line in (text or "").splitlines() if line.strip()]
