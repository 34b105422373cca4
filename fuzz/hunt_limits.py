"""Look for TeX that math-core takes exponential time on and that the limits still let through.

Run by hand, never in the test suite:

    python fuzz/hunt_limits.py --minutes 3 --seed 1

It strings one to six pieces (brackets, sized delimiters, commands that take arguments, groups,
environments) into a unit, and keeps the units that `math_limits` accepts repeated 40 times. Each
is converted repeated 14 and 18 times (in the engine's own process, so a hang costs a timeout,
not the run); a unit whose time grows threefold and that takes over 0.3 s at 24 is printed: a
kind of formula the limits do not model yet (the time limit still catches it in a build).
"""

from __future__ import annotations

import argparse
import random
import time

from mathblog.math.converter import Converter, Lost
from mathblog.math.limits import bracket_refusal, written_refusal
from mathblog.math.rewrites import rewrite

PIECES = [
    "(", "[", "{", "}", "x", "_", "^", "&", "\\\\", "|", ".", "1", " ", "]", ")", "((", "))",
    "\\left(", "\\right)", "\\left.", "\\right.", "\\middle|", "\\bigl", "\\bigr", "\\Bigl",
    "\\bigm(", "\\mathopen", "\\mathclose", "\\mathrel", "\\mathbin", "\\mathinner",
    "\\mathop{(}\\limits", "\\text{(}", "\\operatorname{(}", "\\operatorname*{(}", "\\mathrm",
    "\\mathbf", "\\sqrt", "\\sqrt[3]", "\\frac", "\\overset{(}", "\\underset{(}", "\\stackrel{(}",
    "\\boxed", "\\hat", "\\not", "\\cancel{(}", "\\substack{(}", "\\sideset{(}{)}", "\\tag{(}",
    "\\color{red}", "\\displaystyle", "\\langle", "\\lbrack", "\\lparen", "\\llbracket",
    "\\lceil", "\\ulcorner", "\\vert", "\\lvert", "\\|", "{(}", "\\{", "⟨", "⌊", "⌈", "\\sum",
    "\\int", "'", "\\prime", "\\begin{matrix}", "\\end{matrix}", "\\begin{cases}", "\\end{cases}",
    "&(", "\\\\(",
]  # fmt: skip


def seconds(converter: Converter, tex: str) -> float:
    started = time.perf_counter()
    answer = converter.convert([(tex, False)])[0]
    return float("inf") if isinstance(answer, Lost) else time.perf_counter() - started


def passes_limits(tex: str) -> bool:
    return written_refusal(tex) is None and bracket_refusal(rewrite(tex)) is None


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--minutes", type=float, default=3.0)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    converter = Converter({}, 1_000)
    deadline = time.monotonic() + args.minutes * 60
    tried = found = 0
    while time.monotonic() < deadline:
        unit = "".join(rng.choice(PIECES) for _ in range(rng.randint(1, 6)))
        if not passes_limits(unit * 40):
            continue
        tried += 1
        small = seconds(converter, unit * 14)
        if small < 0.003:
            continue
        if seconds(converter, unit * 18) > 3 * small and seconds(converter, unit * 24) > 0.3:
            found += 1
            print(f"exponential, within the limits: {unit!r}", flush=True)
    converter.close()
    print(f"{tried} units within the limits tried, {found} exponential")


if __name__ == "__main__":
    main()
