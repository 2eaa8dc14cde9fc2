"""The patron's delivery-request form (WTForms via Flask-WTF, CSRF included).

The form carries either a record id (from the record page's "Get it" box) or a citation
(pre-filled from an OpenURL: the resolver's "Request delivery" option), the patron's
needs, name, e-mail and library. :func:`citation_data` and :func:`needs_data` turn it
into the JSON members of ``POST /api/v1/requests``, so the router's own parsers
(:func:`router.requests.parse_citation`, :func:`~router.requests.parse_needs`) check it
exactly as they check the API; :func:`prefill` goes the other way, from a
:class:`~mappings.schema.Citation`.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    DecimalField,
    EmailField,
    HiddenField,
    RadioField,
    SelectField,
    StringField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import (
    DataRequired,
    Email,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    ValidationError,
)

from mappings.schema import Citation

__all__ = ["CITATION_FIELDS", "RequestForm", "citation_data", "needs_data", "prefill"]

GENRES = [
    SelectChoice("article", _l("Journal article")),
    SelectChoice("bookitem", _l("Book chapter")),
    SelectChoice("book", _l("Book")),
    SelectChoice("journal", _l("Journal")),
    SelectChoice("dissertation", _l("Thesis")),
    SelectChoice("", _l("Other")),
]
#: The citation's form fields, in the order the page shows them.
CITATION_FIELDS = (
    "genre",
    "title",
    "container",
    "authors",
    "date",
    "volume",
    "issue",
    "pages",
    "issn",
    "isbn",
    "doi",
    "pmid",
)
_SHORT = [Optional(), Length(max=200)]
_LONG = [Optional(), Length(max=500)]


class RequestForm(FlaskForm):
    """One delivery request. ``library.choices`` and ``format.choices`` are set per request."""

    record_id = HiddenField(validators=[Optional(), Length(max=200)])
    genre = SelectField(_l("Type"), choices=GENRES, default="article")
    title = StringField(_l("Title of the article, chapter or book"), validators=[Length(max=500)])
    container = StringField(_l("Journal or book it appears in"), validators=_LONG)
    authors = StringField(_l("Authors (separate with ;)"), validators=_LONG)
    date = StringField(_l("Year or date"), validators=[Optional(), Length(max=40)])
    volume = StringField(_l("Volume"), validators=[Optional(), Length(max=40)])
    issue = StringField(_l("Issue"), validators=[Optional(), Length(max=40)])
    pages = StringField(_l("Pages"), validators=[Optional(), Length(max=40)])
    issn = StringField("ISSN", validators=_SHORT)
    isbn = StringField("ISBN", validators=_SHORT)
    doi = StringField("DOI", validators=_SHORT)
    pmid = StringField("PMID", validators=[Optional(), Length(max=40)])

    format = SelectField(_l("Format"), choices=[], default="")
    service = RadioField(
        _l("What you need"),
        choices=[SelectChoice("copy", _l("A copy to keep")), SelectChoice("loan", _l("A loan"))],
        default="copy",
    )
    max_cost = DecimalField(
        _l("Most you will pay"),
        places=2,
        validators=[Optional()],
    )
    needed_by = DateField(_l("Needed by"), validators=[Optional()])
    electronic_ok = BooleanField(_l("An electronic copy is fine"), default=True)

    name = StringField(_l("Your name"), validators=[DataRequired(), Length(max=200)])
    email = EmailField(
        _l("Your e-mail"),
        validators=[InputRequired(), Length(max=254), Email(check_deliverability=False)],
    )
    library = SelectField(_l("Your library"), choices=[], validate_choice=False)

    def validate_max_cost(self, field: DecimalField) -> None:
        if field.data is not None:  # not when the text was no number at all
            NumberRange(min=0, max=100000)(self, field)

    def validate_needed_by(self, field: DateField) -> None:
        if field.data is not None and field.data < date.today():
            raise ValidationError(_l("The date has passed."))

    def validate_library(self, field: SelectField) -> None:
        known = {choice.value for choice in field.choices or []}
        if not field.data:
            raise ValidationError(_l("Choose your library."))
        if field.data not in known:
            raise ValidationError(_l("This is not a member library."))

    def validate_title(self, field: StringField) -> None:
        if self.record_id.data:
            return
        if not any(
            (getattr(self, name).data or "").strip()
            for name in ("title", "container", "issn", "isbn", "doi", "pmid")
        ):
            raise ValidationError(_l("Give a title, ISSN, ISBN or DOI."))


def _split_pages(pages: str) -> tuple[str, str]:
    first, _, last = pages.replace("\u2013", "-").partition("-")
    return first.strip(), last.strip()


def citation_data(form: RequestForm) -> dict[str, Any]:
    """The form's citation as the JSON object of ``POST /api/v1/requests``."""
    text = {name: (getattr(form, name).data or "").strip() for name in CITATION_FIELDS}
    genre, title, container = text["genre"], text["title"], text["container"]
    data: dict[str, Any] = {"genre": genre} if genre else {}
    if genre in ("article", "bookitem") or (not genre and container):
        data["atitle"] = title
        serial = genre == "article" or (not genre and bool(text["issn"]))
        data["jtitle" if serial else "btitle"] = container
    elif genre == "journal":
        data["jtitle"] = title
    else:
        data["btitle"] = title
    data["spage"], data["epage"] = _split_pages(text["pages"])
    for name in ("date", "volume", "issue", "doi", "pmid"):
        data[name] = text[name]
    for name in ("issn", "isbn"):
        data[name] = [v.strip() for v in text[name].replace(";", ",").split(",") if v.strip()]
    data["authors"] = [a.strip() for a in text["authors"].split(";") if a.strip()]
    return {k: v for k, v in data.items() if v}


def needs_data(form: RequestForm) -> dict[str, Any]:
    """The form's needs as the JSON object of ``POST /api/v1/requests``."""
    needs: dict[str, Any] = {
        "service": form.service.data or "copy",
        "electronic_ok": bool(form.electronic_ok.data),
    }
    if form.format.data:
        needs["format"] = form.format.data
    if form.max_cost.data is not None:
        needs["max_cost"] = float(form.max_cost.data)
    if form.needed_by.data is not None:
        needs["needed_by"] = form.needed_by.data.isoformat()
    return needs


def prefill(citation: Citation) -> dict[str, str]:
    """Form data for a parsed citation (the reverse of :func:`citation_data`)."""
    genre = (citation.genre or "").lower()
    genre = {"chapter": "bookitem", "thesis": "dissertation"}.get(genre, genre)
    if genre not in {choice.value for choice in GENRES}:
        genre = "article" if citation.atitle and (citation.jtitle or citation.issn) else ""
    title = citation.atitle or citation.btitle or citation.jtitle
    container = (citation.jtitle or citation.btitle) if citation.atitle else ""
    pages = "-".join(p for p in (citation.spage, citation.epage) if p)
    return {
        "genre": genre,
        "title": title,
        "container": container,
        "authors": "; ".join(citation.authors),
        "date": citation.date or (str(citation.year) if citation.year else ""),
        "volume": citation.volume,
        "issue": citation.issue,
        "pages": pages,
        "issn": ", ".join(citation.issn),
        "isbn": ", ".join(citation.isbn),
        "doi": citation.doi,
        "pmid": citation.pmid,
    }
