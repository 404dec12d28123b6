"""Wording for people: what the CLI prints and the screens show.

The engine hands out numbers; these modules turn them into the same words, markers
and row choices for both front ends, so a result reads the same in a table, in the
app and without colour. No UI library and no computation here; one module per
concept (rows, regimes, flow, jacobian, bound, exploding, longrange, experiments,
claims, articles).
"""
