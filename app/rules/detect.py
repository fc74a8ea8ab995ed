"""Business-impact detection: the customer's own words, whether they state business impact,
and which tickets an escalation email refers to.

Pure and fast (tens of thousands of comments per second): every regex is compiled once per
lexicon configuration and a sentence only pays for the expensive checks once it carries a signal.
"""

from __future__ import annotations

import html
import re
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from html.parser import HTMLParser
from itertools import accumulate, compress, repeat
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from app.rules import lexicon as lx
from app.rules.decision import Category, Impact

LANGUAGES = ("en", "nl", "de", "fr", "es")


class ImpactSettings(BaseModel):
    """The rules file's `business_impact:` section."""

    model_config = ConfigDict(extra="forbid")

    languages: list[str] = Field(default_factory=lambda: list(LANGUAGES))
    # Admin-added phrases per category, matched case-insensitively as whole words.
    extra_terms: dict[Category, list[str]] = Field(default_factory=dict)
    # Admin-added phrases that cancel impact in their sentence ("sandbox only").
    extra_negations: list[str] = Field(default_factory=list)


# =============================================================================================
# Folding: lexicons are written lower-case without accents, so "sécurité" == "securite".
# =============================================================================================


def _build_fold_table() -> dict[int, str]:
    table: dict[int, str] = {}
    for cp in range(0xC0, 0x250):
        ch = chr(cp)
        base = "".join(c for c in unicodedata.normalize("NFKD", ch) if not unicodedata.combining(c))
        if base != ch and base.isascii():
            table[cp] = base.lower()
    table.update(
        {
            ord("ß"): "ss",
            ord("æ"): "ae",
            ord("œ"): "oe",
            ord("ø"): "o",
            ord("ł"): "l",
            ord("đ"): "d",
            ord("’"): "'",
            ord("‘"): "'",
            ord("´"): "'",
            ord("`"): "'",
            ord("–"): "-",
            ord("—"): "-",
            ord("\u00a0"): " ",
        }
    )
    return table


_FOLD = _build_fold_table()


def fold(text: str) -> str:
    """Lower-case and strip accents (ß → ss) so lexicons match with or without them."""
    # `translate` with a dict costs a lookup per character; plain ASCII only needs `lower`
    # (the backtick is the one ASCII character the table maps).
    if text.isascii() and "`" not in text:
        return text.lower()
    return text.lower().translate(_FOLD)


# =============================================================================================
# clean_text
# =============================================================================================

_VOID_TAGS = frozenset(
    ["area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "wbr"]
)
_BLOCK_TAGS = frozenset(
    {"p", "div", "br", "li", "ul", "ol", "tr", "table", "pre", "hr", "section", "article"}
    | {"header", "footer", "h1", "h2", "h3", "h4", "h5", "h6"}
)
# Skipped with their content; text after them is kept (inline quoting in a reply).
_SKIP_TAGS = frozenset({"blockquote", "style", "script", "head", "title"})
# Mail clients put the whole quoted thread *after* these markers: stop reading there.
_QUOTE_CLASSES = ("gmail_quote", "yahoo_quoted", "moz-cite-prefix", "zd-quoted")
_QUOTE_IDS = (
    "divrplyfwdmsg",
    "appendonsend",
    "outlookmessageheader",
    "mail-editor-reference-message-container",
)


class _TextExtractor(HTMLParser):
    """HTML → text, dropping quoted and non-visible parts."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skip_stack: list[str] = []
        self._stopped = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self._stopped:
            return
        if self._skip_stack:
            if tag not in _VOID_TAGS:
                self._skip_stack.append(tag)
            return
        attr = {k: (v or "") for k, v in attrs}
        classes = attr.get("class", "").lower()
        ident = attr.get("id", "").lower()
        if any(c in classes for c in _QUOTE_CLASSES) or any(i in ident for i in _QUOTE_IDS):
            self._stopped = True
            return
        if tag in _SKIP_TAGS:
            self._skip_stack.append(tag)
            return
        if tag in _BLOCK_TAGS:
            self.parts.append("\n")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if not self._stopped and not self._skip_stack and tag in _BLOCK_TAGS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if self._stopped:
            return
        if self._skip_stack:
            # Pop back to the matching open tag; tolerates unclosed inner tags.
            if tag in self._skip_stack:
                while self._skip_stack and self._skip_stack.pop() != tag:
                    pass
            return
        if tag in _BLOCK_TAGS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self._stopped and not self._skip_stack:
            self.parts.append(data)


def _html_to_text(markup: str) -> str:
    text = _simple_html_to_text(markup)
    if text is not None:
        return text
    parser = _TextExtractor()
    parser.feed(markup)
    parser.close()
    return "".join(parser.parts)


# The fast path of `_html_to_text`: HTMLParser costs ~50-100µs a comment, most of it Python-level
# tokenizing. Markup made only of text and plain tags is reduced here with one regex per tag and
# `_TextExtractor`'s rules; anything else (comments, declarations, a `<` that starts no plain
# tag, unquoted or spaced attribute values, raw-text elements) returns None for the parser.
# Plain means a grammar every HTMLParser version reads alike: a name of ASCII letters, digits and
# `-.:_`, attributes separated by ASCII whitespace, values quoted, no whitespace around `=`.
# Text up to the next `<`, then a plain tag: (text, "/" of an end tag, name, attributes, "/" of
# a self-closing tag).
_TEXT_AND_TAG = re.compile(
    r"([^<]*)<(/?)([a-zA-Z][-.a-zA-Z0-9:_]*)"
    r"((?:[ \t\n\r\f]+[a-zA-Z_:][-.a-zA-Z0-9:_]*(?:=\"[^\"]*\"|='[^']*')?)*)"
    r"[ \t\n\r\f]*(/?)>"
)
_SIMPLE_ATTR = re.compile(r"[ \t\n\r\f]+([a-zA-Z_:][-.a-zA-Z0-9:_]*)(?:=\"([^\"]*)\"|='([^']*)')?")
# Elements whose content HTMLParser reads as raw text: `script` and `style` here, more in newer
# Python versions. Their content is not markup, so the fast path leaves them to the parser.
_RAW_TEXT_TAGS = frozenset(
    {"script", "style", "xmp", "iframe", "noembed", "noframes", "noscript", "plaintext"}
    | {"textarea", "title"}
)


def _simple_html_to_text(markup: str) -> str | None:
    """`_html_to_text(markup)` when the markup is text and plain tags only, else None.

    Mirrors `_TextExtractor` event by event; the whole markup is always checked (also after a
    quote marker stops the text), so None is returned exactly when the parser might read
    something differently."""
    unescape = html.unescape
    parts: list[str] = []
    skip_stack: list[str] = []
    stopped = False
    pos = 0
    match = _TEXT_AND_TAG.match
    while True:
        m = match(markup, pos)
        if m is None:
            if "<" in markup[pos:]:
                return None
            if pos < len(markup) and not stopped and not skip_stack:
                parts.append(unescape(markup[pos:]))
            return "".join(parts)
        text, closing, name, attrs, self_closing = m.groups()
        if closing and (attrs or self_closing):
            return None
        tag = name.lower()
        if tag in _RAW_TEXT_TAGS:
            return None
        if text and not stopped and not skip_stack:
            # The parser unescapes each run of text between two tags on its own.
            parts.append(unescape(text) if "&" in text else text)
        pos = m.end()
        if stopped:
            continue
        if closing:  # handle_endtag
            if skip_stack:
                if tag in skip_stack:
                    while skip_stack and skip_stack.pop() != tag:
                        pass
            elif tag in _BLOCK_TAGS:
                parts.append("\n")
        elif self_closing:  # handle_startendtag
            if not skip_stack and tag in _BLOCK_TAGS:
                parts.append("\n")
        elif skip_stack:  # handle_starttag
            if tag not in _VOID_TAGS:
                skip_stack.append(tag)
        else:
            classes = ident = ""
            if attrs:
                # As the parser: names lower-cased, values unquoted and unescaped, the last
                # of a repeated attribute wins, a bare attribute is "".
                for a in _SIMPLE_ATTR.finditer(attrs):
                    value = a[2] if a[2] is not None else (a[3] or "")
                    key = a[1].lower()
                    if key == "class":
                        classes = unescape(value).lower() if value else ""
                    elif key == "id":
                        ident = unescape(value).lower() if value else ""
            if (classes and any(c in classes for c in _QUOTE_CLASSES)) or (
                ident and any(i in ident for i in _QUOTE_IDS)
            ):
                stopped = True
            elif tag in _SKIP_TAGS:
                skip_stack.append(tag)
            elif tag in _BLOCK_TAGS:
                parts.append("\n")


_WS_LINE = re.compile(r"[ \t\u00a0]+")
_BLANKS = re.compile(r"\n{3,}")

# Where the customer's own words end. All anchored to a line start so a phrase quoted inside
# a sentence does not cut the message.
_CUT_PATTERNS = [
    r"^[ \t>]*##-.{0,80}-##",
    r"^[ \t]*-{2,}\s*(?:original message|urspr(?:ü|u)ngliche nachricht|oorspronkelijk bericht|"
    r"message d'origine|mensaje original|forwarded message|doorgestuurd bericht|"
    r"weitergeleitete nachricht|message transf(?:é|e)r(?:é|e)|mensaje reenviado)\s*-{0,}",
    r"^[ \t]*(?:on|op|am|le|el)\b[^\n]{0,250}(?:\n[^\n]{0,250})?"
    r"(?:\b(?:wrote|a (?:é|e)crit|escribi(?:ó|o))\s*:|\b(?:schreef|schrieb)\b[^\n]{0,150}:[ \t]*$)",
    r"^[ \t]*\*?(?:from|von|de|van|da)\s*:\*?[^\n]*\n(?:[^\n]*\n){0,3}?[ \t]*\*?(?:sent|gesendet|"
    r"envoy(?:é|e)|enviado|verzonden|verstuurd|date|datum|fecha|sent on)\s*:",
    r"^-- ?$",
    r"^[ \t]*_{10,}[ \t]*$",
    r"^[ \t]*(?:sent from my|verzonden (?:vanaf|met) mijn|verstuurd (?:vanaf|met) mijn|"
    r"von meinem .{0,30}gesendet|gesendet von meinem|envoy(?:é|e) de mon|enviado desde mi|"
    r"get outlook for)",
    # A valediction on its own line ends the message: what follows is a signature block.
    r"^[ \t]*(?:(?:best|kind|warm|warmest|many thanks and|thanks and|with kind)\s+regards|"
    r"regards|best wishes|sincerely|yours sincerely|yours truly|cheers|"
    r"met vriendelijke groet(?:en)?|vriendelijke groet(?:en)?|hartelijke groet(?:en)?|"
    r"met (?:hartelijke|beste) groet(?:en)?|groet(?:en|jes)?|mvg|"
    r"mit freundlichen gr(?:ü|u|ue)(?:ß|ss)en|freundliche gr(?:ü|u|ue)(?:ß|ss)e|"
    r"viele gr(?:ü|u|ue)(?:ß|ss)e|beste gr(?:ü|u|ue)(?:ß|ss)e|liebe gr(?:ü|u|ue)(?:ß|ss)e|mfg|lg|"
    r"cordialement|bien cordialement|bien (?:à|a) vous|salutations(?: distingu(?:é|e)es)?|"
    r"sinc(?:è|e)res salutations|saludos(?: cordiales)?|un saludo|atentamente|"
    r"reciba un cordial saludo|cordiales saludos)[ \t]*[,.!]?[ \t]*$",
]
# One `^` outside the alternation: the engine then tries the alternatives at line starts only,
# not at every character.
_CUT_SOURCE = "^(?:" + "|".join(f"(?:{p.removeprefix('^')})" for p in _CUT_PATTERNS) + ")"
_CUT_RE = re.compile(_CUT_SOURCE, re.IGNORECASE | re.MULTILINE)
# The patterns here are written in lower case. On ASCII text `lower()` keeps every offset and
# no character folds to another one, so the case-sensitive regex over the lowered text matches
# where the case-insensitive one matches over the text, at a fraction of the cost (each
# compared character is not case-folded, and alternatives are skipped on their first one).
_CUT_LOWER_RE = re.compile(_CUT_SOURCE, re.MULTILINE)

# Legal disclaimers: the line holding one of these phrases and everything after it go.
_DISCLAIMER_SOURCE = (
    r"this (?:e-?mail|message|communication)(?: message)?(?: and any (?:attachments?|files?)"
    r"(?: transmitted with it)?)? (?:is|are|may be|contains?) (?:strictly )?"
    r"(?:confidential|intended|privileged)|"
    r"the information (?:contained )?in this (?:e-?mail|message|communication) is "
    r"(?:confidential|intended|privileged)|"
    r"if you (?:are not|have received this (?:e-?mail|message)) "
    r"(?:the intended recipient|in error)|"
    r"^[ \t]*(?:disclaimer|confidentiality notice|legal notice)\b|"
    r"(?:dit|deze) e-?mail(?:bericht)? (?:is|kan) (?:uitsluitend|alleen|enkel) bestemd|"
    r"dit e-?mailbericht (?:en eventuele bijlagen )?(?:is|kan)|"
    r"diese e-?mail (?:enth(?:ä|a)lt|kann) vertrauliche|vertraulichkeitshinweis|"
    r"ce (?:message|courriel|e-?mail) et (?:toutes )?(?:les|ses) pi(?:è|e)ces jointes|"
    r"avis de confidentialit(?:é|e)|"
    r"este (?:mensaje|correo)(?: electr(?:ó|o)nico)? y (?:sus|cualquier) (?:anexos|adjuntos|"
    r"archivos)|aviso (?:legal|de confidencialidad)"
)
_DISCLAIMER_RE = re.compile(_DISCLAIMER_SOURCE, re.IGNORECASE | re.MULTILINE)
_DISCLAIMER_LOWER_RE = re.compile(_DISCLAIMER_SOURCE, re.MULTILINE)  # as `_CUT_LOWER_RE`
_DISCLAIMER_KEYWORDS = (
    "confidential",
    "intended",
    "disclaimer",
    "notice",
    "bestemd",
    "vertraulich",
    "jointes",
    "anexos",
    "adjuntos",
    "archivos",
    "aviso",
    "confidentialit",
)
_QUOTED_LINE = re.compile(r"^[ \t]*>.*$\n?", re.MULTILINE)


def clean_text(body: str, html_body: str | None = None) -> str:
    """The customer's own words: HTML reduced to text, quoted replies, signatures and
    disclaimers removed."""
    text = ""
    if html_body:
        # The HTML parser is the costliest step; markup without a tag is plain text.
        text = _html_to_text(html_body) if "<" in html_body else html.unescape(html_body)
    if not text or text.isspace():
        # Plain bodies from the API may still carry entities ("&amp;").
        text = html.unescape(body or "")
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    if "  " in text or "\t" in text or "\u00a0" in text:
        text = _WS_LINE.sub(" ", text)
    ascii_text = text.isascii()
    if ascii_text:
        lowered = text.lower()
        end = _cut_start(lowered)
        if end >= 0:
            text = text[:end]
            lowered = lowered[:end]
    else:
        cut = _CUT_RE.search(text)
        if cut:
            text = text[: cut.start()]
        lowered = text.lower()
    # The disclaimer regex has no literal prefix, so it only runs when a keyword is present.
    for keyword in _DISCLAIMER_KEYWORDS:
        if keyword in lowered:
            disclaimer = (
                _DISCLAIMER_LOWER_RE.search(lowered) if ascii_text else _DISCLAIMER_RE.search(text)
            )
            if disclaimer:
                text = text[: text.rfind("\n", 0, disclaimer.start()) + 1]
            break
    if ">" in text:
        text = _QUOTED_LINE.sub("", text)
    if "\n" not in text:
        return text.strip()
    text = "\n".join([line.strip() for line in text.split("\n")])
    if "\n\n\n" in text:
        text = _BLANKS.sub("\n\n", text)
    return text.strip()


def _cut_start(lowered: str) -> int:
    """Where `_CUT_LOWER_RE.search(lowered)` matches, or -1.

    Its matches start at line starts only, and only at those whose first characters may start
    one (`_CUT_HEADS`): one set lookup per line instead of the regex at every character."""
    start = 0
    while True:
        if (
            lowered[start : start + 2] in _CUT_HEADS
            or lowered[start : start + 1] in _CUT_HEADS
            or _CUT_ANYWHERE
        ) and _CUT_LOWER_RE.match(lowered, start):
            return start
        start = lowered.find("\n", start) + 1
        if not start:
            return -1


# =============================================================================================
# Lexicon compilation
# =============================================================================================


def _split_top(fragment: str) -> list[str]:
    """Split a fragment on top-level `|`, so the `~` markers apply per alternative."""
    parts: list[str] = []
    depth = 0
    start = 0
    escaped = False
    for i, ch in enumerate(fragment):
        if escaped:
            escaped = False
        elif ch == "\\":
            escaped = True
        elif ch in "([":
            depth += 1
        elif ch in ")]":
            depth -= 1
        elif ch == "|" and depth == 0:
            parts.append(fragment[start:i])
            start = i + 1
    parts.append(fragment[start:])
    return parts


_PREFIX_LEN = 3
_MAX_PREFIXES = 4000
_State = tuple[str, bool]  # (literal prefix so far, whether it may still grow)


# `re._parser` output is untyped: (opcode, argument) pairs whose argument shape depends on the
# opcode, hence `Any` here and nowhere else.
def _prefix_seq(
    items: Iterable[tuple[Any, Any]], states: set[_State], limit: int = _PREFIX_LEN
) -> set[_State]:
    for item in items:
        grown: set[_State] = set()
        for prefix, open_ in states:
            if not open_ or len(prefix) >= limit:
                grown.add((prefix[:limit], False))
            else:
                grown |= _prefix_item(item, prefix, limit)
        if len(grown) > _MAX_PREFIXES:
            raise ValueError("lexicon alternative with too many prefixes")
        states = grown
    return states


def _prefix_item(item: tuple[Any, Any], prefix: str, limit: int) -> set[_State]:
    """The literal prefixes (up to `limit`) one parsed regex item can extend `prefix` to."""
    op, av = str(item[0]), item[1]
    if op == "LITERAL":
        return {(prefix + chr(av), True)}
    if op == "IN":
        chars: set[str] = set()
        for sub_op, sub_av in av:
            sub = str(sub_op)
            if sub == "LITERAL":
                chars.add(chr(sub_av))
            elif sub == "RANGE":
                chars.update(chr(c) for c in range(sub_av[0], sub_av[1] + 1))
            elif sub == "CATEGORY" and str(sub_av) == "CATEGORY_DIGIT":
                chars.update("0123456789")
            else:
                return {(prefix, False)}
        return {(prefix + c, True) for c in chars}
    if op in ("AT", "ASSERT", "ASSERT_NOT"):
        return {(prefix, True)}
    if op == "SUBPATTERN":
        return _prefix_seq(av[-1], {(prefix, True)}, limit)
    if op == "BRANCH":
        out: set[_State] = set()
        for branch in av[1]:
            out |= _prefix_seq(branch, {(prefix, True)}, limit)
        return out
    if op in ("MAX_REPEAT", "MIN_REPEAT"):
        low, high, sub = av
        once = _prefix_seq(sub, {(prefix, True)}, limit)
        if low == 1 and high == 1:
            return once
        # After one repetition another may follow: stop growing there.
        closed = {(p, False) for p, _ in once}
        return closed | {(prefix, True)} if low == 0 else closed
    return {(prefix, False)}


def _prefixes(alternative: str, limit: int = _PREFIX_LEN) -> set[str]:
    from re import _parser  # type: ignore[attr-defined]

    return {p for p, _ in _prefix_seq(list(_parser.parse(alternative)), {("", True)}, limit)}


# What a cut may start with, up to two characters (see `_cut_start`).
_CUT_HEADS = frozenset(_prefixes(_CUT_SOURCE, 2))
_CUT_ANYWHERE = "" in _CUT_HEADS  # a pattern without a literal start: every line is tried

# Every match of an alternative starts with one of its literal prefixes; the longer they are, the
# more words they rule out (see `_Matcher._kept`).
_LONG_PREFIX_LENS = (32, 16, 8)


def _long_prefixes(alternative: str) -> set[str]:
    for limit in _LONG_PREFIX_LENS:
        try:
            return _prefixes(alternative, limit)
        except ValueError:
            continue
    return _prefixes(alternative)


_WORD_CHAR = re.compile(r"\w")


def _cuts(prefixes: Iterable[str]) -> tuple[frozenset[str], frozenset[str]]:
    """The proper heads of `prefixes` followed by a non-word character, and those ending with a
    space: a whole word, or a text ending with a space, that a prefix continues."""
    word: set[str] = set()
    space: set[str] = set()
    for p in prefixes:
        for k in range(1, len(p)):
            if not _WORD_CHAR.match(p, k):
                word.add(p[:k])
            if p[k - 1] == " ":
                space.add(p[:k])
    return frozenset(word), frozenset(space)


def _may_start(known: str, prefixes: Iterable[str], word: bool) -> bool:
    """Whether text starting with `known` may start with one of `prefixes`. With `word`, `known`
    is a whole word: the character after it is not a word character."""
    for p in prefixes:
        if known.startswith(p):
            return True
        if p.startswith(known) and not (word and _WORD_CHAR.match(p, len(known))):
            return True
    return False


# A token is a word or one punctuation character.
_TOKEN = re.compile(r"\w+|[^\w\s]")
# Compound heads and tails are looked for inside words this long (German/Dutch compounds).
_COMPOUND_MIN_LEN = 6


# Characters a short (1-2 character) lexicon prefix is padded with, so every lookup is one
# dict access on exactly three characters.
_PAD_ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789 '.,;:!?()-\"/€$£%&*+=_#@<>[]"


class _Tokens:
    """A scanned text (with two trailing spaces) cut into chunks, shared by all matchers.

    A chunk is a run of non-space characters (`str.split`, in C): matchers look chunks up, and
    only tokenize a chunk the first time they see it. Text with other whitespace than single
    spaces is cut into tokens instead (each its own chunk)."""

    __slots__ = ("chunks", "ends", "gap", "text")

    def __init__(self, text: str) -> None:
        self.text = text
        body = text[:-2]
        chunks = body.split(" ")
        self.gap = 1  # the single spaces between chunks are not counted in `ends`
        # Printable text has no whitespace but " ", the one character `split(" ")` cuts at.
        if (
            not (
                body.isprintable()
                and "  " not in body
                and body[:1] not in ("", " ")
                and body[-1] != " "
            )
            and chunks != body.split()
        ):
            chunks = (_CHUNK_ASCII if text.isascii() else _CHUNK).findall(text)
            self.gap = 0
        self.ends = list(accumulate(map(len, chunks)))
        self.chunks: list[str] = chunks if self.gap else list(map(str.lstrip, chunks))


# `_TOKEN` with the whitespace before each token: all characters of a text are whitespace or
# token characters. On ASCII text the ASCII classes are cheaper; Unicode `\s` also counts
# \x1c-\x1f as space and ASCII `\s` does not, so they are added to the space class there.
_CHUNK = re.compile(r"\s*(?:\w+|[^\w\s])")
_CHUNK_ASCII = re.compile(r"[\s\x1c-\x1f]*(?:\w+|[^\w\s\x1c-\x1f])", re.ASCII)


# What may match at a token: one compiled alternation for its start (None: nothing) and, inside
# long words, (offset, alternation) where a compound part may start.
_Entry = tuple[re.Pattern[str], tuple[str, ...]]
_TokenInfo = tuple["_Entry | None", tuple[tuple[int, "_Entry"], ...]]
# A token shorter than three characters whose key runs into the next chunk: looked up by the
# three characters at scan time.
_SHORT: _TokenInfo = (None, ())
# A chunk's tokens at which something may match: (offset in the chunk, what may match).
_ChunkInfo = tuple[tuple[int, _TokenInfo], ...]
# Per distinct word: the indices of the alternatives that may match at its start and the
# alternation to try there, and inside long words the same per compound part (with its offset).
_WordInfo = tuple[
    tuple[int, ...], "_Entry | None", tuple[tuple[int, tuple[int, ...], "_Entry"], ...]
]
_SHORT_WORD: _WordInfo = ((), None, ())
_CACHE_MAX = 10_000


class _Cache(dict[str, Any]):
    """A dict that computes and remembers missing values (up to `_CACHE_MAX` of them)."""

    def __init__(self, compute: Callable[[str], Any]) -> None:
        super().__init__()
        self._compute = compute

    def __missing__(self, key: str) -> Any:
        value = self._compute(key)
        if len(self) < _CACHE_MAX:
            self[key] = value
        return value


class _Matcher:
    """Finds lexicon phrases fast on CPython.

    `re` tries every alternative at every position, so a union of ~1,500 lexicon alternatives
    ran ~600x slower than a plain search. Here each alternative is an anchored regex indexed by
    the three characters it can start with; only token starts (and the inside of long words,
    for `~` compound parts) are tried. Which alternatives may match at a token is narrowed by
    their longer literal prefixes against the text known there (the word, or the rest of its
    space-delimited chunk), worked out once per distinct word and chunk and remembered: a
    sentence's chunks are looked up in one C-level `map`, and a chunk at which nothing can
    start costs one dict access. Semantics are those of one alternation: leftmost match, and at
    the same position the earliest-listed kind wins; matches do not overlap. Texts are scanned
    with two trailing spaces (see `_Tokens`) so the three-character key always exists.
    """

    def __init__(self, kinds: Sequence[tuple[str, Sequence[str]]]) -> None:
        sources: list[tuple[str, str]] = []
        long_prefixes: list[tuple[str, ...]] = []
        start: dict[str, list[int]] = {}
        inner: dict[str, list[int]] = {}
        inner_prefixes: set[str] = set()
        for kind, fragments in kinds:
            for fragment in fragments:
                for alt in _split_top(fragment):
                    core = alt.strip("~")
                    trail = "" if alt.endswith("~") else r"(?!\w)"
                    index = len(sources)
                    sources.append((kind, f"(?:{core}){trail}"))
                    long_prefixes.append(tuple(sorted(_long_prefixes(core))))
                    prefixes = _prefixes(core)
                    for key in self._keys(alt, prefixes):
                        start.setdefault(key, []).append(index)
                        if alt.startswith("~"):
                            inner.setdefault(key, []).append(index)
                    if alt.startswith("~"):
                        inner_prefixes |= prefixes
        self._sources = sources
        self._long_prefixes = long_prefixes
        self._cuts: list[tuple[frozenset[str], frozenset[str]] | None] = [None] * len(sources)
        self._start_index = start
        self._inner_index = inner
        # First one or two characters of a key: a short token that is none of them starts nothing.
        self._short_heads = {k[:n] for k in start for n in (1, 2)}
        # The alternatives that may match at one place become one anchored alternation, in
        # listing order, so a try costs one `match` in C however many phrases start alike.
        self._compiled: dict[tuple[int, ...], _Entry] = {}
        # Where a compound part may start inside a word: found by one C-level search over the
        # word instead of a dict lookup at each of its characters.
        self._inner_start = (
            re.compile("(?=" + "|".join(sorted(map(re.escape, inner_prefixes), key=len)) + ")")
            if inner_prefixes
            else None
        )
        words = _Cache(lambda word: self._word_info(word, compounds=False))
        words_compound = (
            _Cache(lambda word: self._word_info(word, compounds=True))
            if self._inner_start is not None
            else words
        )
        # [spaced][compounds]: chunks of single-space separated text, or single tokens.
        self._chunks = (
            (
                _Cache(lambda token: self._token_info(token, words)),
                _Cache(lambda token: self._token_info(token, words_compound)),
            ),
            (
                _Cache(lambda chunk: self._chunk_info(chunk, words)),
                _Cache(lambda chunk: self._chunk_info(chunk, words_compound)),
            ),
        )
        self._short_keys = _Cache(self._short_entry)

    def _short_entry(self, key: str) -> _Entry | None:
        heads = self._start_index.get(key)
        return self._entry(heads) if heads and self._kept(heads, key, False) else None

    @staticmethod
    def _keys(alt: str, prefixes: set[str]) -> set[str]:
        keys: set[str] = set()
        for prefix in prefixes:
            if not prefix:
                raise ValueError(f"lexicon alternative without a literal start: {alt!r}")
            pads = [""]
            for _ in range(_PREFIX_LEN - len(prefix)):
                pads = [p + c for p in pads for c in _PAD_ALPHABET]
            keys.update(prefix + pad for pad in pads)
        return keys

    def _kept(self, indices: Sequence[int] | None, known: str, word: bool) -> tuple[int, ...]:
        """The alternatives among `indices` that may match text starting with `known`: every
        match starts with one of an alternative's literal prefixes."""
        if not indices:
            return ()
        return tuple(i for i in indices if self._may_start(i, known, word))

    def _may_start(self, index: int, known: str, word: bool) -> bool:
        """`_may_start` for one alternative, with the common cases in C: `known` starts with
        a prefix, or is a whole word / ends with a space and a prefix continues after it."""
        prefixes = self._long_prefixes[index]
        if known.startswith(prefixes):
            return True
        if word or known.endswith(" "):
            cuts = self._cuts[index]
            if cuts is None:
                cuts = self._cuts[index] = _cuts(prefixes)
            return known in cuts[0 if word else 1]
        return _may_start(known, prefixes, word)

    def _entry(self, indices: Sequence[int]) -> _Entry:
        key = tuple(indices)
        entry = self._compiled.get(key)
        if entry is None:
            entry = self._compiled[key] = _combine([self._sources[i] for i in key])
        return entry

    def _word_info(self, word: str, compounds: bool) -> _WordInfo | None:
        if len(word) < _PREFIX_LEN:
            return _SHORT_WORD if word in self._short_heads else None
        heads = self._start_index.get(word[:_PREFIX_LEN])
        start = self._kept(heads, word, True)
        inner: list[tuple[int, tuple[int, ...], _Entry]] = []
        if compounds and self._inner_start is not None and len(word) >= _COMPOUND_MIN_LEN:
            for candidate in self._inner_start.finditer(word, 1):
                pos = candidate.start()
                if pos > len(word) - 3:
                    break
                part_heads = self._inner_index.get(word[pos : pos + 3])
                part = self._kept(part_heads, word[pos:], True)
                if part and part_heads:
                    inner.append((pos, part, self._entry(part_heads)))
        if not start and not inner:
            return None
        return start, self._entry(heads) if start and heads else None, tuple(inner)

    def _token_info(self, token: str, words: _Cache) -> _ChunkInfo | None:
        """A token of text with other whitespace than single spaces: only the word is known."""
        info: _WordInfo | None = words[token]
        if info is None:
            return None
        if info is _SHORT_WORD:
            return ((0, _SHORT),)
        _, entry, inner = info
        return ((0, (entry, tuple((pos, part) for pos, _, part in inner))),)

    def _chunk_info(self, chunk: str, words: _Cache) -> _ChunkInfo | None:
        """The tokens of a chunk of single-space separated text: the text from each token to
        the end of the chunk, and the space after it, are known. Each token gets the
        alternation of just the alternatives that may still match there (compiled once per
        distinct set)."""
        found: list[tuple[int, _TokenInfo]] = []
        for m in _TOKEN.finditer(chunk):
            info: _WordInfo | None = words[m.group()]
            if info is None:
                continue
            offset = m.start()
            known = chunk[offset:] + " "
            if info is _SHORT_WORD:
                if len(known) < _PREFIX_LEN:
                    found.append((offset, _SHORT))
                    continue
                kept = self._kept(self._start_index.get(known[:_PREFIX_LEN]), known, False)
                if kept:
                    found.append((offset, (self._entry(kept), ())))
                continue
            kept = self._kept(info[0], known, False)
            start = self._entry(kept) if kept else None
            inner_parts = []
            for pos, part_heads, _ in info[2]:
                part_kept = self._kept(part_heads, known[pos:], False)
                if part_kept:
                    inner_parts.append((pos, self._entry(part_kept)))
            inner = tuple(inner_parts)
            if start is not None or inner:
                found.append((offset, (start, inner)))
        return tuple(found) or None

    def scan(self, tokens: _Tokens, compounds: bool = True) -> list[tuple[str, int, int]]:
        """(kind, start, end) of every non-overlapping match, in order. `compounds` looks for
        compound parts inside long words too: only worth its cost in Dutch and German."""
        found: list[tuple[str, int, int]] = []
        infos = list(map(self._chunks[tokens.gap][compounds].__getitem__, tokens.chunks))
        if not any(infos):
            return found
        text = tokens.text
        chunks = tokens.chunks
        ends = tokens.ends
        gap = tokens.gap
        after = 0
        for i in compress(range(len(infos)), infos):
            chunk = chunks[i]
            base = ends[i] - len(chunk) + gap * i
            chunk_info = infos[i]
            for offset, info in chunk_info or ():
                start = base + offset
                if start < after:
                    continue
                if info is _SHORT:
                    entry = self._short_keys[text[start : start + 3]]
                    if entry is not None:
                        m = entry[0].match(text, start)
                        if m:
                            after = m.end()
                            found.append((entry[1][m.lastindex or 0], start, after))
                    continue
                entry, inner = info
                if entry is not None:
                    m = entry[0].match(text, start)
                    if m:
                        after = m.end()
                        found.append((entry[1][m.lastindex or 0], start, after))
                        continue
                for part_offset, part in inner:
                    pos = start + part_offset
                    m = part[0].match(text, pos)
                    if m:
                        after = m.end()
                        found.append((part[1][m.lastindex or 0], pos, after))
                        break
        return found

    def search(self, tokens: _Tokens, compounds: bool = True) -> bool:
        """Whether any phrase occurs."""
        infos = list(map(self._chunks[tokens.gap][compounds].__getitem__, tokens.chunks))
        if not any(infos):
            return False
        text = tokens.text
        chunks = tokens.chunks
        ends = tokens.ends
        gap = tokens.gap
        for i in compress(range(len(infos)), infos):
            chunk = chunks[i]
            base = ends[i] - len(chunk) + gap * i
            chunk_info = infos[i]
            for offset, info in chunk_info or ():
                start = base + offset
                if info is _SHORT:
                    entry = self._short_keys[text[start : start + 3]]
                    if entry is not None and entry[0].match(text, start):
                        return True
                    continue
                entry, inner = info
                if entry is not None and entry[0].match(text, start):
                    return True
                for part_offset, part in inner:
                    if part[0].match(text, start + part_offset):
                        return True
        return False


# One compiled alternation and, per capturing group number, the kind it belongs to.
_Candidates = tuple[re.Pattern[str], tuple[str, ...]]


def _combine(alternatives: Sequence[tuple[str, str]]) -> _Candidates:
    """`(alt1)|(alt2)|…`: the first alternative that matches wins, as when tried one by one.
    Each is wrapped in a group of its own; `Match.lastindex` is that outer group (it closes
    after any group inside it), which maps back to the alternative's kind."""
    parts: list[str] = []
    kinds: list[str] = [""]
    for kind, source in alternatives:
        parts.append(f"({source})")
        inner_groups = re.compile(source).groups
        kinds.extend([kind] * (1 + inner_groups))
    return re.compile("|".join(parts)), tuple(kinds)


def _pick(table: lx.Fragments, languages: Sequence[str]) -> list[str]:
    return [f for lang in languages for f in table.get(lang, [])]


def _single(table: lx.Fragments, languages: Sequence[str]) -> _Matcher:
    return _Matcher([("x", _pick(table, languages))])


# Listing order decides which kind wins when two start at the same position: phrases that
# contain a negation ("cannot", "not fixed") come before `neg`.
_SIGNAL_KINDS: tuple[tuple[str, lx.Fragments], ...] = (
    ("mask", lx.MASK),
    ("risk_strong", lx.RISK_STRONG),
    ("condition", lx.CONDITION),
    ("security", lx.SECURITY),
    ("loss_risk", lx.LOSS_RISK),
    ("loss", lx.LOSS),
    ("recur_strong", lx.RECUR_STRONG),
    ("major", lx.MAJOR),
    ("outage", lx.OUTAGE),
    ("effect", lx.EFFECT),
    ("weak_effect", lx.WEAK_EFFECT),
    ("recur", lx.RECUR),
    ("risk_obj", lx.RISK_OBJ),
    ("neg", lx.NEG),
    ("cond", lx.COND),
)
_OBJECT_KINDS: tuple[tuple[str, lx.Fragments], ...] = (
    ("obj_prod", lx.OBJ_PROD),
    ("nonprod", lx.NONPROD),
    ("obj_strong", lx.OBJ_STRONG),
    ("obj_weak", lx.OBJ_WEAK),
)
# A negation inside a matched loss phrase ("data was not lost") cancels it. Spanish/English
# "no" is left out: it starts phrases such as "acceso no autorizado".
_INNER_NEG = re.compile(r"\b(?:not|never|niet|nooit|nicht|nie|pas|jamais|nunca)\b|n't")
# "if the migration fails, we lose data": inside a condition an effect is a risk, not an incident.
_INCIDENT_KINDS = frozenset(
    {"effect", "weak_effect", "outage", "security", "loss", "recur_strong", "major"}
)
_RECUR_EFFECT = re.compile(r"fail|crash|down|break|stop|coming back")


@dataclass(frozen=True)
class _Lexicon:
    signals: _Matcher
    objects: _Matcher
    risk_conseq: _Matcher
    duration: _Matcher
    scale: _Matcher
    # kill / past / hypo in one pass: each sentence with a signal needs all three answers.
    scope_checks: _Matcher
    cond_modal: _Matcher
    languages: tuple[str, ...]


@lru_cache(maxsize=16)
def _lexicon(languages: tuple[str, ...]) -> _Lexicon:
    langs = tuple(lang for lang in LANGUAGES if lang in languages) or LANGUAGES
    signal_kinds = [(kind, _pick(table, langs)) for kind, table in _SIGNAL_KINDS]
    signal_kinds.append(("scope", lx.SCOPE_END))
    lang_scope = [
        lx.SCOPE_END_BY_LANGUAGE[lang] for lang in langs if lang in lx.SCOPE_END_BY_LANGUAGE
    ]
    if lang_scope:
        signal_kinds.append(("scopelang", lang_scope))
    return _Lexicon(
        signals=_Matcher(signal_kinds),
        objects=_Matcher([(kind, _pick(table, langs)) for kind, table in _OBJECT_KINDS]),
        risk_conseq=_single(lx.RISK_CONSEQ, langs),
        duration=_single(lx.DURATION, langs),
        scale=_single(lx.SCALE, langs),
        scope_checks=_Matcher(
            [
                ("kill", _pick(lx.KILL, langs)),
                ("past", _pick(lx.PAST, langs)),
                ("hypo", _pick(lx.HYPO, langs)),
            ]
        ),
        cond_modal=_single(lx.COND_MODAL, langs),
        languages=langs,
    )


@dataclass(frozen=True)
class _Extras:
    terms: tuple[tuple[Category, re.Pattern[str]], ...]
    negations: re.Pattern[str] | None


def _phrases_re(phrases: Iterable[str]) -> re.Pattern[str] | None:
    alts = sorted({re.escape(fold(p.strip())) for p in phrases if p.strip()}, key=len, reverse=True)
    return re.compile(r"(?<!\w)(?:" + "|".join(alts) + r")(?!\w)") if alts else None


@lru_cache(maxsize=16)
def _extras(
    terms: tuple[tuple[Category, tuple[str, ...]], ...], negations: tuple[str, ...]
) -> _Extras:
    compiled: list[tuple[Category, re.Pattern[str]]] = []
    for category, phrases in terms:
        pattern = _phrases_re(phrases)
        if pattern is not None:
            compiled.append((category, pattern))
    return _Extras(terms=tuple(compiled), negations=_phrases_re(negations))


_NO_EXTRAS = _Extras(terms=(), negations=None)

# =============================================================================================
# Sentences and language
# =============================================================================================

_SENTENCE_END = re.compile(r"[.!?…][\"')\]]*[ \t]+")
_ABBREVIATIONS = (
    *("ca", "e.g", "i.e", "z.b", "bzw", "etc", "approx", "nr", "no", "vs", "mr", "mrs", "ms"),
    *("dr", "st", "inkl", "incl", "usw", "ggf", "evtl", "d.h", "u.a", "p.ej", "aprox", "env"),
    *("cf", "vgl", "bijv", "o.a", "m.b.t"),
)
_ABBREVIATION_END = re.compile(
    r"(?:\b(?:" + "|".join(map(re.escape, _ABBREVIATIONS)) + r")\.|\b\w\.|\d\.)$",
    re.IGNORECASE,
)
# The last two characters of each abbreviation (see `_may_abbreviate`).
_ABBREVIATION_TAILS = frozenset(a[-2:] for a in _ABBREVIATIONS)
# Words for language detection are runs of a-z: every other byte (of the UTF-8 encoding too)
# becomes a space, so `bytes.split` finds them in C.
_NON_LETTER_TO_SPACE = bytes(b if 97 <= b <= 122 else 32 for b in range(256))
# Each stopword as one integer holding a count field per language it belongs to, so one C-level
# `sum` counts the stopwords of every language at once. A field holds up to 2**12 - 1: more than
# the words in the 1,000 characters looked at (at most 500). Five such fields fit in a C long,
# which `sum` adds without creating an int object per word.
_COUNT_BITS = 12
_COUNT_MASK = (1 << _COUNT_BITS) - 1
_LANGUAGE_SHIFT = {lang: i * _COUNT_BITS for i, lang in enumerate(lx.STOPWORDS)}
_STOPWORD_FIELDS: dict[bytes, int] = {}
for _lang, _words in lx.STOPWORDS.items():
    for _word in _words:
        _key = _word.encode()
        _STOPWORD_FIELDS[_key] = _STOPWORD_FIELDS.get(_key, 0) + (1 << _LANGUAGE_SHIFT[_lang])


def _sentences(text: str) -> list[str]:
    """Sentences in order; a line break always ends one, abbreviations ("ca.", "z.B.") and
    ordinals ("3. Juni") do not."""
    out: list[str] = []
    for line in text.split("\n"):
        start = 0
        for m in _SENTENCE_END.finditer(line):
            end = m.start()
            if line[end] == "." and _may_abbreviate(line, end):
                continue
            piece = line[start : end + 1].strip()
            if piece:
                out.append(piece)
            start = m.end()
        piece = line[start:].strip()
        if piece:
            out.append(piece)
    return out


def _may_abbreviate(line: str, dot: int) -> bool:
    """Whether the full stop at `dot` ends an abbreviation or an ordinal.

    Most full stops follow a word of two or more ASCII characters whose last two characters end
    no abbreviation: `_ABBREVIATION_END` cannot match there, and its case-insensitive search
    costs more than the rest of the sentence split."""
    if dot >= 2:
        tail = line[dot - 2 : dot]
        if (
            tail.isascii()
            and tail.isalnum()
            and not tail[1].isdigit()
            and tail.lower() not in _ABBREVIATION_TAILS
        ):
            return False
    return _ABBREVIATION_END.search(line, max(0, dot - 8), dot + 1) is not None


_DIACRITIC_LANGUAGE = {ch: lang for lang, letters in lx.DIACRITICS.items() for ch in letters}
_DIACRITIC = re.compile("[" + "".join(_DIACRITIC_LANGUAGE) + "]", re.IGNORECASE)


def _detect_language(text: str, folded: str, languages: Sequence[str]) -> str | None:
    """The language with the most stopwords (ties: diacritics, then the first configured)."""
    if not languages or not folded or folded.isspace():
        return None
    if len(languages) == 1:
        return languages[0]
    # Counted in C: this runs once per comment and used to cost as much as a sentence scan.
    words = folded[:1000].encode("utf-8", "replace").translate(_NON_LETTER_TO_SPACE).split()
    counts = sum(map(_STOPWORD_FIELDS.get, words, repeat(0)))
    if text.isascii():
        # No diacritics: the first language with the most stopwords, as `max` below.
        best, best_count = languages[0], 0
        for lang in languages:
            shift = _LANGUAGE_SHIFT.get(lang)
            count = 0 if shift is None else (counts >> shift) & _COUNT_MASK
            if count > best_count:
                best, best_count = lang, count
        return best
    scores = {
        lang: float((counts >> _LANGUAGE_SHIFT[lang]) & _COUNT_MASK)
        if lang in _LANGUAGE_SHIFT
        else 0.0
        for lang in languages
    }
    for ch in _DIACRITIC.findall(text, 0, 1000):
        lang = _DIACRITIC_LANGUAGE[ch.lower()]
        if lang in scores:
            scores[lang] += 0.5
    best = max(scores, key=scores.__getitem__)
    return best if scores[best] else languages[0]


# =============================================================================================
# detect_impact
# =============================================================================================


@dataclass(slots=True)
class _Sentence:
    text: str
    incident: bool  # an affected object and how it is affected
    outage: bool  # ... and it is an outage, or lasts
    effect: bool  # some consequence, even without a named object
    security: bool
    loss: bool
    loss_risk: bool
    recur_strong: bool
    recur: bool
    major: bool
    risk: bool
    extra: set[Category]


def _analyse(
    sentence: str,
    folded: str,
    lex: _Lexicon,
    compounds: bool,
    lang_scope: str | None,
    extras: _Extras,
) -> _Sentence | None:
    """One sentence's signals after negation, scope and hypothetical checks; None if none.

    `compounds` and `lang_scope` depend on the comment's language only (see `detect_impact`)."""
    if extras.negations is not None and extras.negations.search(folded):
        return None
    folded += "  "  # the matchers look three characters ahead
    tokens = _Tokens(folded)
    signals = lex.signals.scan(tokens, compounds)
    if not signals and not extras.terms:
        return None
    kinds: set[str] = set()
    neg_spans: list[tuple[int, int]] = []
    neg_start = -1
    conditional = False
    for kind, start, end in signals:
        if kind == "scope" or (kind == "scopelang" and folded[start:end] == lang_scope):
            # A negation or condition reaches to the end of its clause, not further.
            if neg_start >= 0:
                neg_spans.append((neg_start, start))
                neg_start = -1
            conditional = False
            continue
        if kind in _NEUTRAL_KINDS:
            if kind == "neg":
                if neg_start < 0:
                    neg_start = start
            elif kind == "cond":
                conditional = True
            continue
        if neg_start >= 0 or (conditional and kind in _INCIDENT_KINDS):
            continue
        if kind in _PHRASE_KINDS:
            phrase = folded[start:end]
            # "data was not lost" is negated; "acceso no autorizado" is not a negation.
            if kind != "recur":
                if _INNER_NEG.search(phrase) and not phrase.startswith(_NOT_NEGATIONS):
                    continue
            # "keeps failing", "bricht immer wieder ab": a recurrence that is also the effect.
            elif _RECUR_EFFECT.search(phrase):
                kinds.add("effect")
        kinds.add(kind)
    if neg_start >= 0:
        neg_spans.append((neg_start, len(folded)))

    extra: set[Category] = set()
    for category, pattern in extras.terms:
        em = pattern.search(folded)
        if em and not any(a <= em.start() < b for a, b in neg_spans):
            extra.add(category)
    if not kinds and not extra:
        return None

    security = "security" in kinds
    loss = "loss" in kinds
    loss_risk = "loss_risk" in kinds
    recur_strong = "recur_strong" in kinds
    recur = "recur" in kinds
    major = "major" in kinds
    outage = "outage" in kinds
    effect = "effect" in kinds
    # A wrong or missing result counts once the sentence says how many are hit.
    if not (effect or outage) and "weak_effect" in kinds:
        effect = lex.scale.search(tokens, compounds)
    effect = outage or effect
    risk = "risk_strong" in kinds or (
        "risk_obj" in kinds and ("condition" in kinds or lex.risk_conseq.search(tokens, compounds))
    )

    objects: set[str] = set()
    if effect or loss or security:
        for kind, start, _ in lex.objects.scan(tokens, compounds):
            if not neg_spans or not any(a <= start < b for a, b in neg_spans):
                objects.add(kind)
    has_prod = "obj_prod" in objects
    incident = lasting = False
    if effect:
        if outage:
            incident = not objects.isdisjoint(_OUTAGE_OBJECTS) or lex.duration.search(
                tokens, compounds
            )
            lasting = True
        else:
            incident = "obj_strong" in objects or has_prod
            lasting = incident and lex.duration.search(tokens, compounds)
    # `lasting` is what `outage` stands for below: an outage, or an incident that lasts.
    outage = incident and lasting

    # Scope checks, only now that the sentence carries something.
    if incident or loss or security or recur_strong or major or loss_risk or risk:
        checks = {kind for kind, _, _ in lex.scope_checks.scan(tokens, compounds)}
        if "kill" in checks:
            incident = outage = effect = loss = recur_strong = major = loss_risk = False
        elif "nonprod" in objects and not has_prod:
            incident = outage = effect = loss = recur_strong = False
        # "Last year we had data loss with another vendor": history, not today's impact.
        if "past" in checks and not (recur or recur_strong):
            incident = outage = effect = loss = loss_risk = security = False
        if "hypo" in checks or (
            _COND_START.match(folded) and lex.cond_modal.search(tokens, compounds)
        ):
            incident = outage = effect = loss = security = recur_strong = False
            # "If the server went down, would we lose data?" asks; it states no risk.
            if sentence.rstrip().endswith("?"):
                loss_risk = risk = False
    return _Sentence(
        sentence,
        incident,
        outage,
        effect,
        security,
        loss,
        loss_risk,
        recur_strong,
        recur,
        major,
        risk,
        extra,
    )


_COND_START = re.compile(lx.COND_START)
_COMPOUND_LANGUAGES = frozenset({"nl", "de"})
# Signal kinds that only shape the scope of others.
_NEUTRAL_KINDS = frozenset({"mask", "neg", "cond", "scopelang"})
# Kinds whose matched phrase is looked at again.
_PHRASE_KINDS = frozenset({"loss", "security", "recur"})
_NOT_NEGATIONS = ("acceso no", "acces non", "no autoriz", "non autoris")
_OUTAGE_OBJECTS = frozenset({"obj_strong", "obj_prod", "obj_weak"})


# Most specific first: the first category is the one a tag is made from.
_CATEGORY_ORDER: tuple[Category, ...] = (
    "security_breach",
    "data_loss",
    "recurring_incidents",
    "major_problem",
    "prolonged_outage",
    "business_risk",
)
_RISK_ONLY: frozenset[Category] = frozenset({"business_risk"})


def _compiled(settings: ImpactSettings | None) -> tuple[_Lexicon, _Extras]:
    """The lexicons for `settings`, compiled on first use and remembered."""
    lex = _lexicon(tuple(settings.languages) if settings else LANGUAGES)
    if settings and (settings.extra_terms or settings.extra_negations):
        return lex, _extras(
            tuple(sorted((c, tuple(t)) for c, t in settings.extra_terms.items())),
            tuple(settings.extra_negations),
        )
    return lex, _NO_EXTRAS


def prepare(settings: ImpactSettings | None = None) -> None:
    """Compile the lexicons `detect_impact` uses with `settings` now. Compiling takes about
    0.7 s (once per distinct setting), which the first comment would otherwise pay on the
    event loop: rules are prepared as they come into force (`app.active_rules`)."""
    _compiled(settings)


def detect_impact(text: str, *, settings: ImpactSettings | None = None) -> Impact:
    """Whether `text` (already cleaned) states business impact, its categories and evidence."""
    if not text or text.isspace():
        return Impact()
    lex, extras = _compiled(settings)
    folded_text = fold(text)
    language = _detect_language(text, folded_text, lex.languages)
    # Compound parts ("Umsatz|ausfall", "klant|dossiers") are a Dutch and German thing; the
    # search inside every long word is a fifth of the cost, so other languages skip it.
    compounds = language in _COMPOUND_LANGUAGES or language is None
    lang_scope = lx.SCOPE_END_BY_LANGUAGE.get(language or "")

    analysed: list[_Sentence] = []
    for sentence in _sentences(text):
        s = _analyse(sentence, fold(sentence), lex, compounds, lang_scope, extras)
        if s is not None:
            analysed.append(s)
    if not analysed:
        return Impact(language=language)

    incident = False
    for s in analysed:
        if s.incident:
            incident = True
            break
    found: set[Category] = set()
    evidence: list[str] = []
    explicit_major = production = loss_risk_only = False
    for s in analysed:
        # The categories this sentence is evidence of (`_CATEGORY_ORDER` names them all).
        used = False
        if s.security:
            found.add("security_breach")
            used = production = True
        if s.loss or s.loss_risk:
            found.add("data_loss")
            used = True
            if s.loss:
                production = True
            else:
                loss_risk_only = True
        if s.recur_strong or (s.recur and (s.incident or (s.effect and incident))):
            found.add("recurring_incidents")
            used = True
            if s.recur_strong:
                production = True
        if (s.major and incident) or (s.incident and not s.outage):
            found.add("major_problem")
            used = True
            explicit_major = explicit_major or s.major
        if s.incident and s.outage:
            found.add("prolonged_outage")
            used = True
        if s.risk:
            found.add("business_risk")
            used = True
        if s.extra:
            found |= s.extra
            used = True
            if "major_problem" in s.extra:
                explicit_major = explicit_major or s.major
            if "data_loss" in s.extra and s.loss_risk and not s.loss:
                loss_risk_only = True
            if not s.extra <= _RISK_ONLY:
                production = True
        if used:
            evidence.append(s.text)
    if not found:
        return Impact(language=language)

    categories = [c for c in _CATEGORY_ORDER if c in found]
    # An explicit "root cause not found" makes it a major problem even when it is an outage;
    # otherwise an outage is the more specific reading of a production incident.
    if "major_problem" in found and "prolonged_outage" in found and not explicit_major:
        categories.remove("major_problem")
        categories.insert(categories.index("prolonged_outage") + 1, "major_problem")
    production = production or incident
    business_risk = "business_risk" in found or loss_risk_only
    return Impact(
        present=True,
        categories=categories,
        evidence=evidence,
        production=production,
        business_risk=business_risk or not production,
        language=language,
    )


# =============================================================================================
# find_ticket_references
# =============================================================================================

_REF_KEYWORDS = (
    r"tickets?|requests?|cases?|incidents?|verzoek|melding|zaak|aanvraag|anfrage|fall|vorgang|"
    r"demande|dossier|cas|solicitud|caso|incidencia|peticion|petición|"
    r"ticketnummer|ticket-nr|ticketnr|zaaknummer|meldingnummer|meldingsnummer|vorgangsnummer|"
    r"fallnummer|anfragenummer"
)
_REF_NUMBER_WORD = r"(?:number|num|nummer|nr|no|n°|nº|numéro|numero|número|id)\.?"
_REF_RE = re.compile(
    # Zendesk help-centre and agent links.
    r"https?://[^\s/]+/(?:hc/(?:[\w-]+/)?)?requests/(?P<url_req>\d{1,12})\b"
    r"|https?://[^\s/]+/agent/tickets/(?P<url_agent>\d{1,12})\b"
    # "ticket 123", "ticket #123", "ticket number: 123", "Anfrage Nr. 123".
    rf"|(?<![\w-])(?:{_REF_KEYWORDS})\.?[\s-]*(?:{_REF_NUMBER_WORD}\s*)?[:#]?\s*#?\s*(?P<kw>\d{{1,12}})\b"
    # "number of ticket 123" / "numéro de dossier 123" / "número de caso 123".
    rf"|(?<!\w){_REF_NUMBER_WORD}\s*(?:of|de|du|van|del)?\s*(?:{_REF_KEYWORDS})\s*[:#]?\s*#?\s*"
    r"(?P<kw2>\d{1,12})\b"
    # "#123" and "n° 12345" / "nº 12345" on their own.
    r"|(?<![\w&#/])#\s?(?P<hash>\d{2,12})\b"
    r"|(?<!\w)n[°º]\s?(?P<nr>\d{3,12})\b",
    re.IGNORECASE,
)
# "in case 2 users…", "auf jeden Fall 3", "en caso 2…": the keyword used as an ordinary word.
_REF_FALSE_LEAD = re.compile(
    r"(?:\bin\s+cases?|\ben\s+cas|\b(?:im|jeden|keinem|auf)\s+fall|\ben\s+caso)\W*$", re.IGNORECASE
)
_REF_WORD = re.compile(r"[^\W\d_]+")
# Dates, amounts, times, versions following the number.
_REF_FALSE_TAIL = re.compile(
    r"(?:[-/.:,]\d|\s?(?:%|€|\$|eur\b|euro|usd|ms\b|mb\b|gb\b|kb\b|users?\b|times\b|days?\b|"
    r"hours?\b|minutes?\b))",
    re.IGNORECASE,
)


def find_ticket_references(subject: str, body: str) -> list[int]:
    """Ticket numbers an email refers to, in the order they appear, without duplicates."""
    found: list[int] = []
    # Signatures and quoted text are dropped first: numbers there are not references.
    for text in (subject or "", clean_text(body or "")):
        for m in _REF_RE.finditer(text):
            name = m.lastgroup
            if name is None:
                continue
            if name == "kw":
                keyword = _REF_WORD.match(text, m.start())
                end = keyword.end() if keyword else m.start()
                if _REF_FALSE_LEAD.search(text[max(0, m.start() - 12) : end]):
                    continue
            if _REF_FALSE_TAIL.match(text, m.end()):
                continue
            number = int(m.group(name))
            if number > 0 and number not in found:
                found.append(number)
    return found
