"""Punctuation is kept with the inline formula it touches (the browser side of this is in
test_phone_browser.py)."""

from __future__ import annotations

from mathblog.render.line_breaks import keep_punctuation_with_math

X = "<math><mi>x</mi></math>"


def test_closing_and_opening_punctuation_join_their_formula() -> None:
    assert keep_punctuation_with_math(f"<p>设 {X}，则</p>") == (
        f'<p>设 <span class="math-nobreak">{X}，</span>则</p>'
    )
    assert keep_punctuation_with_math(f"<p>（{X}）。</p>") == (
        f'<p><span class="math-nobreak">（{X}）。</span></p>'
    )
    assert keep_punctuation_with_math(f"<p>“{X}”…</p>") == (
        f'<p><span class="math-nobreak">“{X}”…</span></p>'
    )


def test_formulas_without_punctuation_and_display_math_are_left_alone() -> None:
    untouched = [
        f"<p>a {X} b {X}{X}</p>",
        '<div class="math-display"><math display="block"><mi>x</mi></math></div>',
        '<p>see <math display="block"><mi>y</mi></math>。</p>',
        "<p>no math。</p>",
        f"<p>ASCII punctuation is left alone: {X}, ({X}).</p>",
        "<pre><code>&lt;math&gt;&lt;/math&gt;，</code></pre>",
    ]
    for html in untouched:
        assert keep_punctuation_with_math(html) == html


def test_a_split_formula_keeps_its_punctuation_with_its_first_and_last_pieces() -> None:
    # math_source.py wraps the pieces of a long formula in a span; the punctuation goes in
    # there with the piece it touches, so the pieces still break apart but not from it
    first, middle, last = (f"<math><mi>{x}</mi><mo>=</mo></math>" for x in "abc")
    split = f"{first}{middle}{last}"
    assert keep_punctuation_with_math(f'文（<span class="math-split">{split}</span>）。') == (
        f'文<span class="math-split"><span class="math-nobreak">（{first}</span>{middle}'
        f'<span class="math-nobreak">{last}）。</span></span>'
    )
    plain = f'文<span class="math-split">{split}</span> b'
    assert keep_punctuation_with_math(plain) == plain
