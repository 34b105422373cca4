"""The one table of TeX environments the math stages know, and what each of them is.

- `numbering`: whether we number it (`EquationNumbering` gives the numbers, not the engine):
  once for the whole environment, on each row, or not at all. Its starred form is unnumbered.
- `opens_block`: `\\begin{name}` (or `name*`) at the start of a line opens display math in
  markdown without `$$` around it.
- `engine_name`: what the engine is given instead, for an environment it does not know
  (`rewrites` also adapts the body: alignat's column count, eqnarray's three columns).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum


class Numbering(Enum):
    NONE = "none"
    ONCE = "once"
    EACH_ROW = "each row"


@dataclass(frozen=True, slots=True)
class Environment:
    name: str
    numbering: Numbering = Numbering.NONE
    opens_block: bool = False
    engine_name: str | None = None  # None: the engine knows `name` itself
    starred: bool = False  # `name*` exists (unnumbered), renamed to `engine_name*`


ENVIRONMENTS: tuple[Environment, ...] = (
    Environment("equation", Numbering.ONCE, opens_block=True, starred=True),
    Environment("align", Numbering.EACH_ROW, opens_block=True, starred=True),
    Environment("alignat", Numbering.EACH_ROW, True, "align", starred=True),
    Environment("flalign", Numbering.EACH_ROW, True, "align", starred=True),
    Environment("gather", Numbering.EACH_ROW, opens_block=True, starred=True),
    Environment("multline", Numbering.ONCE, opens_block=True, starred=True),
    Environment("eqnarray", Numbering.EACH_ROW, True, "align", starred=True),
    Environment("math", opens_block=True, starred=True),
    Environment("displaymath", opens_block=True, starred=True),
    Environment("split", engine_name="aligned"),
    Environment("smallmatrix", engine_name="matrix"),
    # mathtools' starred matrices take a column alignment, `[r]`, which is dropped
    *(Environment(f"{kind}matrix*", engine_name=f"{kind}matrix") for kind in ("", *"pbBvV")),
)

NUMBERED = tuple(e.name for e in ENVIRONMENTS if e.numbering is not Numbering.NONE)
NUMBERED_ONCE = tuple(e.name for e in ENVIRONMENTS if e.numbering is Numbering.ONCE)
BLOCK_OPENERS = tuple(e.name for e in ENVIRONMENTS if e.opens_block)


def engine_names() -> dict[str, str]:
    """Each environment the engine does not know (starred forms too), to the one it is given."""
    renamed: dict[str, str] = {}
    for env in ENVIRONMENTS:
        if env.engine_name is not None:
            renamed[env.name] = env.engine_name
            if env.starred:
                renamed[env.name + "*"] = env.engine_name + "*"
    return renamed
