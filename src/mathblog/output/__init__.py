"""The output folder: the next generation prepared beside it and swapped in atomically, unchanged
files kept.
"""
