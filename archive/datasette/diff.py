"""Word-level differences between two versions of an article's text, as safe HTML.

Paragraphs are compared first (difflib on lines, cheap even for long bodies); only paragraphs
that changed are compared word by word, so a 5,000-word article with one edited sentence costs
one small word diff. Removed words are <del>, added words <ins>, and long unchanged stretches
are shortened to a few words of context around each change. Every word is escaped.
"""
from __future__ import annotations

from difflib import SequenceMatcher

from markupsafe import Markup, escape

CONTEXT_WORDS = 12   # unchanged words kept on each side of a change
BREAK = "\n"          # paragraph boundary token


def _tokens(paragraphs: list[str]) -> list[str]:
    out: list[str] = []
    for i, para in enumerate(paragraphs):
        if i:
            out.append(BREAK)
        out.extend(para.split())
    return out


def _words(tokens: list[str]) -> str:
    """Tokens as escaped HTML: words joined by spaces, a paragraph boundary as ¶ and a line break."""
    out, prev_break = [], True
    for token in tokens:
        if token == BREAK:
            out.append(" ¶<br>")
            prev_break = True
        else:
            out.append(("" if prev_break else " ") + str(escape(token)))
            prev_break = False
    return "".join(out)


def _equal(tokens: list[str], first: bool, last: bool, context: int) -> str:
    """An unchanged run: whole when short, else its ends around an ellipsis."""
    if len(tokens) <= 2 * context + 1 or context < 0:
        return _words(tokens)
    head = [] if first else tokens[:context]
    tail = [] if last else tokens[-context:]
    return (_words(head) + (" " if head else "") + '<span class="diff-skip">…</span>'
            + (" " if tail else "") + _words(tail))


def word_diff(old: str | None, new: str | None, context: int = CONTEXT_WORDS) -> Markup:
    """HTML of `new` against `old`: <del>removed</del> and <ins>added</ins> words, unchanged
    stretches cut to `context` words around the changes (context < 0 keeps everything)."""
    old_paras = [p.strip() for p in (old or "").splitlines() if p.strip()]
    new_paras = [p.strip() for p in (new or "").splitlines() if p.strip()]
    # Paragraph-level alignment first; changed blocks are then diffed word by word.
    ops: list[tuple[str, list[str], list[str]]] = []
    for tag, i1, i2, j1, j2 in SequenceMatcher(None, old_paras, new_paras, autojunk=False).get_opcodes():
        a, b = _tokens(old_paras[i1:i2]), _tokens(new_paras[j1:j2])
        if ops:  # the paragraph boundary between this block and the previous one
            ops.append(("equal", [BREAK], [BREAK]))
        if tag == "equal":
            ops.append(("equal", a, b))
            continue
        for wtag, k1, k2, l1, l2 in SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
            ops.append((wtag, a[k1:k2], b[l1:l2]))
    # Adjacent equal runs merge, so context is counted across paragraph boundaries.
    merged: list[tuple[str, list[str], list[str]]] = []
    for op in ops:
        if merged and op[0] == "equal" and merged[-1][0] == "equal":
            merged[-1] = ("equal", merged[-1][1] + op[1], merged[-1][2] + op[2])
        elif op[1] or op[2]:
            merged.append(op)
    html = []
    for n, (tag, a, b) in enumerate(merged):
        if tag == "equal":
            html.append(_equal(b, first=n == 0, last=n == len(merged) - 1, context=context))
            continue
        removed = [t for t in a if t != BREAK] if tag in ("delete", "replace") else []
        added = [t for t in b if t != BREAK] if tag in ("insert", "replace") else []
        pieces = []
        if removed:
            pieces.append(f"<del>{_words(removed)}</del>")
        if added:
            pieces.append(f"<ins>{_words(added)}</ins>")
        html.append(" " + " ".join(pieces) + " ")
        if BREAK in b:
            html.append(" ¶<br>")
    return Markup("".join(html).strip())


def changed(old: str | None, new: str | None) -> bool:
    """Whether the two texts differ in more than spacing."""
    return " ".join((old or "").split()) != " ".join((new or "").split())
