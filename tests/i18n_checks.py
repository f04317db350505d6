"""Checks that an app's client-facing Russian texts go through gettext and have English
translations (each app's ``test_english_messages.py`` runs them over its request modules)."""
from __future__ import annotations

import ast
import re
import string
from collections.abc import Iterable
from pathlib import Path

from django.utils import translation

CYRILLIC = re.compile(r"[А-Яа-яЁё]")
GETTEXT_NAMES = ("_", "gettext", "gettext_lazy", "_lazy", "gettext_noop")
PERCENT = re.compile(r"%\((\w+)\)[sd]")


def untranslated_cyrillic(path: Path) -> list[str]:
    """Cyrillic string literals of a module that are neither a gettext call's argument nor a
    docstring."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    wrapped: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in GETTEXT_NAMES:
            wrapped.update(id(arg) for arg in node.args)
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                wrapped.add(id(first.value))
    return [node.value for node in ast.walk(tree)
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and CYRILLIC.search(node.value)
            and id(node) not in wrapped]


def gettext_msgids(paths: Iterable[Path]) -> list[str]:
    """The literal messages given to gettext in these modules."""
    return [node.args[0].value for path in paths
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in GETTEXT_NAMES
            and node.args and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str)]


def assert_translated(msgids: Iterable[str]) -> None:
    """Every message has an English translation without Cyrillic that keeps its placeholders
    (``%(name)s`` or ``{name}``), so formatting the translation neither fails nor loses a value."""
    fields = string.Formatter()
    with translation.override("en"):
        english = {m: translation.gettext(m) for m in msgids}
    assert [m for m, e in english.items() if CYRILLIC.search(e)] == []
    for message, translated in english.items():
        assert set(PERCENT.findall(message)) == set(PERCENT.findall(translated)), message
        if "%(" not in message:
            assert ({f for _t, f, _s, _c in fields.parse(message) if f} ==
                    {f for _t, f, _s, _c in fields.parse(translated) if f}), message
