"""Who may see and do what with an appeal: the one place that decides, including what the
public view of an appeal may carry."""
from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from django.http import Http404
from django.utils.translation import gettext_lazy

from geoportal.models import Role
from geoportal.roles import has_role, is_staff_member, role_of

from .models import Appeal

# transition -> roles that may perform it (agency-bound roles only for their agency)
TRANSITION_ROLES: dict[str, frozenset[str]] = {
    "register": frozenset({Role.OPERATOR, Role.ADMIN}),
    "route": frozenset({Role.OPERATOR, Role.ADMIN}),
    "accept": frozenset({Role.EXECUTOR, Role.AGENCY_HEAD}),
    "start": frozenset({Role.EXECUTOR, Role.AGENCY_HEAD}),
    "assign": frozenset({Role.AGENCY_HEAD}),
    "answer": frozenset({Role.EXECUTOR, Role.AGENCY_HEAD}),
    "redirect": frozenset({Role.OPERATOR, Role.AGENCY_HEAD, Role.ADMIN}),
    "extend": frozenset({Role.AGENCY_HEAD}),
    "reject": frozenset({Role.OPERATOR, Role.MODERATOR, Role.ADMIN}),
    "merge": frozenset({Role.OPERATOR, Role.MODERATOR, Role.ADMIN}),
    "moderate": frozenset({Role.MODERATOR, Role.ADMIN}),
    "note": frozenset({Role.OPERATOR, Role.EXECUTOR, Role.AGENCY_HEAD, Role.MODERATOR, Role.ADMIN}),
}
AGENCY_BOUND = frozenset({Role.EXECUTOR, Role.AGENCY_HEAD})

# the staff pages of appeals (issues.pages, issues.pages_desk) and who may open them; the
# navigation (frontend_map.doors) asks the same
QUEUE_ROLES = (Role.EXECUTOR, Role.AGENCY_HEAD, Role.ADMIN)
DESK_ROLES = (Role.OPERATOR, Role.ADMIN)
REFUSED: dict[str, Any] = {
    "queue": gettext_lazy("Очередь ведомства доступна исполнителям и руководителям ведомств."),
    "desk": gettext_lazy("Стол оператора доступен операторам."),
}


def is_staff_user(user: Any) -> bool:
    """Staff see appeals' internal events and every appeal's figures (``geoportal.roles``)."""
    return is_staff_member(user)


def can_see_full(user: Any, appeal: Appeal) -> bool:
    """Full view: personal data of the author, private text, internal notes."""
    return Appeal.objects.visible_to(user).filter(pk=appeal.pk).exists()


def can_transition(user: Any, appeal: Appeal, transition: str) -> bool:
    role = role_of(user)
    if not has_role(user, *TRANSITION_ROLES.get(transition, frozenset())):
        return False
    if role in AGENCY_BOUND:
        staff_role = "agency_head" if transition in ("assign", "extend", "redirect") else None
        agencies = user.agency_ids(staff_role) if staff_role else user.agency_ids()
        return appeal.responsible_agency_id in agencies
    return True


def can_support(user: Any, appeal: Appeal) -> bool:
    """Supporting an appeal is a citizen's act (it counts residents who share the problem),
    never of one's own appeal; staff and leaders do not vote with their feet."""
    return has_role(user, Role.CITIZEN) and appeal.author_id != user.pk


def access_appeal(user: Any, appeal_id: int) -> tuple[Appeal, bool]:
    """The appeal and whether the user sees it in full; 404 when they may not see it at all
    (a private appeal is indistinguishable from a missing one)."""
    appeal = (Appeal.objects.select_related("category", "district", "responsible_agency", "author__profile")
              .filter(pk=appeal_id).first())
    if appeal is None:
        raise Http404
    if can_see_full(user, appeal):
        return appeal, True
    if Appeal.objects.public().filter(pk=appeal.pk).exists():
        return appeal, False
    raise Http404


# --- what the public may read (59-FZ art. 6) ------------------------------------------------------
REDACTED = "[скрыто]"
_PHONE_SEPARATORS = r"[\s\-().]*"


_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_WORD = re.compile(r"[^\W\d_]+(?:-[^\W\d_]+)*")  # letters, hyphenated names kept whole
_ENDING = "аяоеёийыуюь"


def _name_word_pattern(word: str) -> str:
    """A name word in any case form: «Мария» also matches «Марии», «Петровна» «Петровной»,
    «Иванова» «Ивановой». Over-matching a neighbour's word is the safe side here."""
    stem = word[:-1] if len(word) >= 5 and word[-1].lower() in _ENDING else word
    if len(word) < 5:
        return r"(?<!\w)" + re.escape(word) + r"(?!\w)"
    return r"(?<!\w)" + re.escape(stem) + r"\w{0,3}(?!\w)"


def _contact_pieces(contact: str) -> tuple[list[str], list[str]]:
    """E-mails and the other pieces (phones, addresses) of a free-text contact such as
    «тел. 8 (831) 765-43-21, ivan@example.org; ул. Скрытная, 7»."""
    emails = _EMAIL.findall(contact or "")
    rest = _EMAIL.sub(",", contact or "")
    return emails, [piece.strip() for piece in re.split(r"[,;/\n]+", rest) if piece.strip()]


def _phone_patterns(phone: str) -> list[re.Pattern[str]]:
    digits = re.sub(r"\D", "", phone or "")
    patterns = []
    if len(digits) >= 10:  # +7 912 345-67-89, 8 (912) 3456789, 9123456789 ...
        patterns.append(re.compile(r"(?:\+?7|8)?" + _PHONE_SEPARATORS + _PHONE_SEPARATORS.join(digits[-10:])))
    if len(digits) >= 5:  # the local number alone: 765-43-21 of 8 (831) 765-43-21
        local = digits[-7:]
        patterns.append(re.compile(r"(?<!\d)" + _PHONE_SEPARATORS.join(local) + r"(?!\d)"))
    return patterns


def _personal_patterns(appeal: Appeal) -> list[re.Pattern[str]]:
    """The author's own name, contacts and address as search patterns: the whole strings, each
    word of the name (≥ 4 letters, in any case form), each piece of a free-text contact, and
    phones in any spelling."""
    values = [appeal.author_name, appeal.author_contact]
    names = [appeal.author_name]
    phones: list[str] = []
    emails, pieces = _contact_pieces(appeal.author_contact)
    values += emails
    for piece in pieces:
        if sum(c.isdigit() for c in piece) >= 5:
            phones.append(piece)
        else:
            values.append(piece)
    author = appeal.author if appeal.author_id else None
    if author is not None:
        values += [author.email, author.get_full_name()]
        names += [author.first_name, author.last_name]
        profile = getattr(author, "profile", None)
        if profile is not None:
            values += [profile.full_name, profile.email, profile.postal_address]
            names.append(profile.full_name)
            phones.append(profile.phone)
    # whole strings first (longest first), so «Уважаемая Иванова Мария Петровна» loses the name
    # as one piece; then the single words and phones catch what is left
    literals = sorted({v.strip() for v in values if v and len(v.strip()) >= 4}, key=lambda v: (-len(v), v))
    patterns = [re.compile(re.escape(v), re.IGNORECASE) for v in literals]
    patterns += [p for phone in phones for p in _phone_patterns(phone)]
    words = {w for name in names if name for w in _WORD.findall(name) if len(w) >= 4}
    patterns += [re.compile(_name_word_pattern(w), re.IGNORECASE) for w in sorted(words, key=lambda w: (-len(w), w))]
    return patterns


def personal_redactor(appeal: Appeal) -> Callable[[str], str]:
    """``redact_personal`` for many texts of one appeal (a comment thread): patterns built once."""
    patterns = _personal_patterns(appeal)

    def redact(text: str) -> str:
        for pattern in patterns:
            text = pattern.sub(REDACTED, text)
        return text

    return redact


def redact_personal(text: str, appeal: Appeal) -> str:
    """``text`` without the author's known personal data: a safety net under moderation for
    a citizen who typed their phone into a public text, or an answer that greets them by name."""
    for pattern in _personal_patterns(appeal):
        text = pattern.sub(REDACTED, text)
    return text


def public_text(appeal: Appeal) -> str | None:
    return None if appeal.text_is_private else redact_personal(appeal.text, appeal)


def public_answer(appeal: Appeal) -> str:
    """The answer of a private appeal is as private as its text."""
    return "" if appeal.text_is_private else redact_personal(appeal.answer_text, appeal)
