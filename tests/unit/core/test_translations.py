"""The ru and fa catalogues are complete (issue 16 §2): every msgid of ours has a translation in
each, a msgstr equal to its English msgid counts as missing unless docs/glossary.md allows it
(codes and names the same in every language), and a fuzzy entry counts as missing.

The catalogues are read as text (no database, no compiled .mo needed)."""
from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
LANGUAGES = ("ru", "fa")
GLOSSARY = ROOT / "docs" / "glossary.md"


@dataclass
class Entry:
    msgid: str = ""
    msgid_plural: str | None = None
    msgctxt: str | None = None
    msgstr: dict[int, str] = field(default_factory=dict)
    flags: set[str] = field(default_factory=set)
    line: int = 0


def _unquote(text: str) -> str:
    return ast.literal_eval(text)


def parse_po(path: Path) -> list[Entry]:
    """The entries of a .po file (entries are separated by blank lines, as gettext writes them);
    the header and obsolete (#~) entries left out."""
    entries: list[Entry] = []
    lines = path.read_text(encoding="utf-8").splitlines()
    blocks: list[list[tuple[int, str]]] = [[]]
    for number, raw in enumerate(lines, start=1):
        if raw.strip():
            blocks[-1].append((number, raw.strip()))
        elif blocks[-1]:
            blocks.append([])
    for block in blocks:
        if not block or any(line.startswith("#~") for _, line in block):
            continue
        entry, target = Entry(line=block[0][0]), None
        for _, line in block:
            if line.startswith("#,"):
                entry.flags |= {f.strip() for f in line[2:].split(",")}
            elif line.startswith("#"):
                continue
            elif line.startswith('"'):
                kind, index = target
                value = _unquote(line)
                if kind == "msgstr":
                    entry.msgstr[index] += value
                else:
                    setattr(entry, kind, getattr(entry, kind) + value)
            else:
                keyword, _, rest = line.partition(" ")
                value = _unquote(rest)
                if keyword.startswith("msgstr"):
                    index = int(keyword[7:-1]) if keyword.startswith("msgstr[") else 0
                    entry.msgstr[index] = value
                    target = ("msgstr", index)
                else:
                    setattr(entry, keyword, value)
                    target = (keyword, 0)
        if entry.msgid or entry.msgid_plural:
            entries.append(entry)
    return entries


def allowed_identical() -> set[str]:
    """The codes and names docs/glossary.md lets stay identical in every language."""
    text = GLOSSARY.read_text(encoding="utf-8")
    block = re.search(r"<!-- allowed-identical:start -->(.*?)<!-- allowed-identical:end -->", text, re.S)
    assert block, "docs/glossary.md has no allowed-identical list"
    return {line.strip()[2:].strip() for line in block.group(1).splitlines() if line.strip().startswith("- ")}


def missing(entries: list[Entry], allowed: set[str]) -> list[str]:
    out = []
    for e in entries:
        name = f"{e.msgid!r}" + (f" (context {e.msgctxt!r})" if e.msgctxt else "")
        if "fuzzy" in e.flags:
            out.append(f"{name}: fuzzy")
            continue
        forms = [e.msgstr[i] for i in sorted(e.msgstr)] or [""]
        sources = {e.msgid, e.msgid_plural} - {None}
        for i, text in enumerate(forms):
            if not text.strip():
                out.append(f"{name}: msgstr[{i}] empty")
            elif text in sources and text.strip() not in allowed:
                out.append(f"{name}: msgstr[{i}] is the English text")
    return out


def test_the_parser_reads_plurals_contexts_and_fuzzy(tmp_path):
    po = tmp_path / "x.po"
    po.write_text('msgid ""\nmsgstr ""\n"Language: ru\\n"\n\n'
                  '#, python-format\nmsgid "%(n)d row"\nmsgid_plural "%(n)d rows"\nmsgstr[0] "%(n)d строка"\n'
                  'msgstr[1] "%(n)d строки"\nmsgstr[2] ""\n\n'
                  'msgctxt "severity"\nmsgid "error"\nmsgstr "ошибка"\n\n'
                  '#, fuzzy\nmsgid "Pay"\nmsgstr "Оплатить"\n\n'
                  'msgid "RUB"\nmsgstr "RUB"\n\nmsgid "Claims"\nmsgstr "Claims"\n\n'
                  'msgid "long"\n"er"\nmsgstr ""\n"длиннее"\n', encoding="utf-8")
    entries = parse_po(po)
    assert [e.msgid for e in entries] == ["%(n)d row", "error", "Pay", "RUB", "Claims", "longer"]
    assert entries[0].msgstr == {0: "%(n)d строка", 1: "%(n)d строки", 2: ""}
    assert entries[1].msgctxt == "severity"
    assert entries[5].msgstr == {0: "длиннее"}
    found = missing(entries, {"RUB"})
    assert found == ["'%(n)d row': msgstr[2] empty", "'Pay': fuzzy", "'Claims': msgstr[0] is the English text"]


def test_the_glossary_lists_the_codes_that_stay_identical():
    allowed = allowed_identical()
    assert {"RUB", "IRR", "0420155", "S.19.01"} <= allowed


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_msgid_has_a_translation(language):
    path = ROOT / "locale" / language / "LC_MESSAGES" / "django.po"
    assert path.exists(), f"{path} missing: run manage.py makemessages -l ru -l fa"
    entries = parse_po(path)
    assert len(entries) > 100, f"{path} holds only {len(entries)} entries: were the strings marked?"
    problems = missing(entries, allowed_identical())
    assert not problems, f"{len(problems)} of {len(entries)} msgids lack a {language} translation:\n" + "\n".join(problems[:80])


@pytest.mark.parametrize("language", LANGUAGES)
def test_placeholders_survive_translation(language):
    """A translation keeps every %(name)s / {name} of its msgid, or formatting would fail at run time."""
    entries = parse_po(ROOT / "locale" / language / "LC_MESSAGES" / "django.po")
    placeholder = re.compile(r"%\([a-z_0-9]+\)[sd]|\{[a-z_0-9.]+(?::[^}]*)?\}")
    broken = []
    for e in entries:
        wanted = set(placeholder.findall(e.msgid_plural or e.msgid)) | set(placeholder.findall(e.msgid))
        for i, text in e.msgstr.items():
            have = set(placeholder.findall(text))
            # a plural's singular form may leave the count out (Persian "یک ردیف")
            if text and not have >= (wanted - {"%(n)d", "%(counter)s"}):
                broken.append(f"{e.msgid!r} msgstr[{i}] lacks {sorted(wanted - have)}")
            if have - wanted:  # an unknown name would raise KeyError when the text is formatted
                broken.append(f"{e.msgid!r} msgstr[{i}] adds {sorted(have - wanted)}")
    assert not broken, "\n".join(broken[:50])
