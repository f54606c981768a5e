"""The checks: a hand-written formula (gradcheck) or a whole implementation (compare) of the
blog's network, against the reference.

Layer: checks. Plain libraries over the reference; no Hydra, no files of their own.
"""
