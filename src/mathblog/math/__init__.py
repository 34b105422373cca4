"""TeX → MathML: delimiters, limits, rewrites, the math-core engine and its cache, numbering, fixes
of its MathML.
"""
