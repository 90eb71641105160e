"""The site's own words in each edition's language: gettext catalogs read with Babel, and dates
formatted for each locale ("5 July 2022", "5. Juli 2022", "Mitte 2022", "April–Juni 2022").

The catalogs are `templates/locale/<lang>/LC_MESSAGES/messages.po`, made by `make i18n` from the
strings marked in the templates (`{% trans %}`, `_()`), in plan.py (`N_()`) and in markup.py
(`_()`). Babel reads the .po file itself: no compiled .mo file is kept in the repository.
"""

from __future__ import annotations

import functools
import gettext
import io
from collections.abc import Callable
from pathlib import Path

from babel import Locale
from babel.dates import format_date, format_skeleton
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from .model import PartialDate

CATALOGS = Path("locale")  # inside templates/
DOMAIN = "messages"
# The locale whose conventions each edition's dates follow: British English writes the day first.
LOCALES = {"en": "en_GB", "de": "de_DE"}


def N_(message: str) -> str:
    """Mark `message` for the catalogs without translating it here (the templates translate it)."""
    return message


def catalog_path(templates: Path, lang: str) -> Path:
    return templates / CATALOGS / lang / "LC_MESSAGES" / f"{DOMAIN}.po"


def load_translations(templates: Path, lang: str) -> gettext.NullTranslations:
    """Return the gettext translations of `lang` read from its .po file (Babel compiles it in memory);
    English, the language of the msgids, and a language without a catalog get the msgids back."""
    path = catalog_path(templates, lang)
    if lang == "en" or not path.is_file():
        return gettext.NullTranslations()
    with path.open("rb") as file:
        catalog = read_po(file, locale=lang, domain=DOMAIN)
    compiled = io.BytesIO()
    write_mo(compiled, catalog)  # fuzzy entries are left out, as msgfmt does
    compiled.seek(0)
    return gettext.GNUTranslations(compiled)


@functools.cache
def _month_names(lang: str) -> dict[int, str]:
    return dict(Locale.parse(LOCALES[lang]).months["format"]["wide"])


def date_formatter(lang: str, translate: Callable[[str], str]) -> Callable[[PartialDate], str]:
    """Return the function that writes a date for readers of `lang`, as precisely as it is known.

    `translate` is the edition's gettext: the words around a date ("early", "or later") are
    interface strings like any other. English comes out exactly as PartialDate's own str().
    """
    locale = LOCALES[lang]
    months = _month_names(lang)
    parts = {
        "early": translate(N_("early %(date)s")),
        "mid": translate(N_("mid %(date)s")),
        "late": translate(N_("late %(date)s")),
    }
    or_later = translate(N_("%(date)s or later"))

    def plain(date: PartialDate) -> str:
        if date.day:
            text = format_date(date.first_day, "long", locale=locale)
        elif date.month:
            text = format_skeleton("yMMMM", date.first_day, locale=locale)
        else:
            text = str(date.year)
        return parts[date.part] % {"date": text} if date.part else text

    def month(date: PartialDate) -> str:
        name = months[date.month]
        return parts[date.part] % {"date": name} if date.part else name

    @functools.cache  # a large site shows the same few hundred dates again and again
    def written(date: PartialDate) -> str:
        if date.open_end:
            return or_later % {"date": written(PartialDate(date.year, date.month, date.day, date.part))}
        end = date.until
        if end is None:
            return plain(date)
        if end.year == date.year and date.month and end.month and not (date.day or end.day):
            return f"{month(date)}–{month(end)} {date.year}"
        return f"{plain(PartialDate(date.year, date.month, date.day, date.part))} – {written(end)}"

    return written
