"""Punctuation is kept with the inline formula it touches (the browser side of this is in
test_phone_browser.py)."""

from __future__ import annotations

from blog.line_breaks import keep_punctuation_with_math

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


def test_each_formula_of_a_split_one_is_wrapped_only_where_it_touches_punctuation() -> None:
    first, last = "<math><mi>a</mi><mo>=</mo></math>", "<math><mi>b</mi></math>"
    assert keep_punctuation_with_math(f"{first}{last}。") == (
        f'{first}<span class="math-nobreak">{last}。</span>'
    )
