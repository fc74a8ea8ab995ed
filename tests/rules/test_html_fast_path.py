"""The HTML fast path of clean_text (app/rules/detect.py `_simple_html_to_text`).

It must give exactly what HTMLParser (`_TextExtractor`) gives, or step aside (None) so the parser
runs: each case here is compared with the parser's output, and the cases the fast path must
leave to the parser are pinned too.
"""

from __future__ import annotations

import random

import pytest

from app.rules import detect
from app.rules.detect import clean_text


def parsed(markup: str) -> str:
    parser = detect._TextExtractor()
    parser.feed(markup)
    parser.close()
    return "".join(parser.parts)


# Markup the fast path reads itself.
FAST_CASES = [
    "<p>Production is down.</p><p>Please escalate.</p>",
    "<div>Production is down.<br>Customers cannot pay.<br/>Since 9am.<br />Help</div>",
    "<P>Upper-case</P><DIV>tags</DIV><Br>",
    # Entities in text, each text run unescaped on its own.
    "<p>Tom &amp; Jerry &lt;3 &#39;quoted&#x27; &quot;x&quot; caf&eacute; &nbsp;a&nbsp</p>",
    "<p>&amp</p><p>&ampx &foo; &#; &#0; &#128; &#x110000; &AMP; &unknown</p>",
    "<span>&lt</span>p&gt;not a tag&lt;/p&gt;",
    # Quote markers stop the text, by class or id, in any case, as a substring.
    '<div class="zd-comment"><p>Down.</p><div class="gmail_quote">On Tue wrote:'
    "<blockquote>old</blockquote></div></div>",
    "<p>Down.</p><div class='GMAIL_QUOTE extra'>old</div><p>after</p>",
    '<p>Down.</p><hr><div id="divRplyFwdMsg"><b>From:</b> Support</div><div>old</div>',
    '<p>Down.</p><div ID="OutlookMessageHeader">old</div>',
    "<p>Down.</p><div class='yahoo_quoted'>old</div>",
    '<p>Down.</p><div class="moz-cite-prefix">old</div>',
    '<p>Down.</p><div class="zd-quoted">old</div>',
    '<p>Down.</p><div id="appendonsend"></div><p>old</p>',
    '<p>Down.</p><div class="&#103;mail_quote">entity in the class</div>',
    # Attributes: quotes of either kind, `>` and the other quote inside, bare, repeated.
    '<p title="a > b" data-x=\'it"s\'>Attributes with markup characters</p>',
    '<p class="gmail_quote" class="x">the last class wins</p>',
    '<p class="x" class="gmail_quote">the last class wins</p>',
    "<input disabled><p class>bare attributes</p>",
    "<p class=\"\">empty</p><p id=''>empty</p>",
    '<p\nclass="x"\tid="y">whitespace between attributes</p >',
    '<span style="font-family:Calibri, sans-serif; font-size:11pt">styled</span>',
    '<a href="https://x.example/?a=1&amp;b=2">link</a>',
    # Skipped elements and their nesting; void tags inside them.
    "<p>Before.</p><blockquote>quoted <b>bold</b> text</blockquote><p>After.</p>",
    "<blockquote><p>nested <blockquote>deep</blockquote> tail</p></blockquote>after",
    "<blockquote>unclosed <p>inner<br><img src='x'></blockquote>after",
    "<blockquote>a<div>b</blockquote>c</div>d",
    "<head><meta charset='utf-8'></head><body><p>Body</p></body>",
    "<blockquote>never closed <p>text",
    "</blockquote>stray end tag",
    # Self-closing forms: a block newline only, never a skip or a quote marker.
    "<p/>a<div/>b<blockquote/>c<div class='gmail_quote'/>d",
    "<hr/><hr><br></br>",
    # Unclosed and stray tags, lists, tables, Outlook's namespaced tags.
    "<p><p><p>text",
    "</p></div>stray",
    "<ul><li>one</li><li>two</li></ul><table><tr><td>cell</td></tr></table>",
    "<o:p></o:p><o:p>&nbsp;</o:p><x-y>custom</x-y>",
    "text only &amp; entities <b>then a tag</b>",
    "line\r\nbreaks\r<br>\ttabs  and\u00a0spaces",
    "> quoted line<br>&gt; quoted entity line",
    "<h1>Title</h1><section><article>nested blocks</article></section>",
    "",
]

# Markup the fast path must leave to the parser.
PARSER_CASES = [
    "<p>a < b</p>",
    "<p>3 <4</p>",
    "<3",
    "a <",
    "<",
    "<>",
    "< p>text",
    "</ p>text",
    "<p",
    '<div class="a',
    "<!-- a comment --><p>x</p>",
    "<!---->",
    "<![CDATA[ raw <b>x</b> ]]>",
    "<!DOCTYPE html><p>x</p>",
    "<?xml version='1.0'?><p>x</p>",
    "<script>var a = '<p>x</p>';</script><p>x</p>",
    "<style>p { color: red; } a > b {}</style><p>x</p>",
    "<SCRIPT>alert(1)</SCRIPT>",
    "<title>x</title><p>x</p>",
    "<textarea><p>x</p></textarea>",
    "<a href=http://x/y>unquoted</a>",
    "<a href=x/>unquoted before a slash</a>",
    '<p class = "x">spaces around =</p>',
    '<p a="1"b="2">no space between attributes</p>',
    "<p/ class='x'>",
    "</p class='x'>",
    "</p/>",
    "<p\x0bclass='x'>vertical tab</p>",
    "<p\u00a0class='x'>no-break space</p>",
    "<p>ok</p><div class='gmail_quote'>quoted <!-- comment after the marker --></div>",
]


@pytest.mark.parametrize("markup", FAST_CASES)
def test_fast_path_equals_the_parser(markup: str) -> None:
    fast = detect._simple_html_to_text(markup)
    assert fast is not None, "expected the fast path to handle this markup"
    assert fast == parsed(markup)


@pytest.mark.parametrize("markup", PARSER_CASES)
def test_fast_path_leaves_other_markup_to_the_parser(markup: str) -> None:
    assert detect._simple_html_to_text(markup) is None
    assert detect._html_to_text(markup) == parsed(markup)


@pytest.mark.parametrize("markup", FAST_CASES + PARSER_CASES)
def test_clean_text_reads_html_as_the_parser_did(
    markup: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    body = "plain fallback &amp; body"
    text = clean_text(body, markup)
    monkeypatch.setattr(detect, "_simple_html_to_text", lambda markup: None)
    assert text == clean_text(body, markup)


_PIECES = [
    "<p>",
    "</p>",
    "<div>",
    "</div>",
    "<br>",
    "<br/>",
    "<blockquote>",
    "</blockquote>",
    "<img src='x'>",
    '<div class="gmail_quote">',
    "<div id='x'>",
    '<span title="a > b">',
    "</span>",
    "<head>",
    "</head>",
    "<p/>",
    "&amp;",
    "&#39;",
    "&nbsp;",
    "&lt;",
    "&",
    ">",
    "\n",
    " ",
    "\t",
    "Production is down. ",
    "Customers cannot pay",
    "é",
    "<",
    "<!-- c -->",
    "<script>x</script>",
    "< p>",
    "<p class=x>",
]


def test_random_markup_matches_the_parser() -> None:
    rng = random.Random(20240313)
    fast_count = 0
    for _ in range(3000):
        markup = "".join(rng.choice(_PIECES) for _ in range(rng.randint(1, 15)))
        fast = detect._simple_html_to_text(markup)
        if fast is not None:
            fast_count += 1
            assert fast == parsed(markup), markup
    assert fast_count > 500  # the fast path is exercised, not always declined
