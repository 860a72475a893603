"""The simulated account's data: deterministic from a seed and a scale.

`dataset` holds the records every endpoint reads (`Dataset`, `ENTITIES`) and edits them
(`mutate`); the generators build them: `org` (user account, boards, sections, pins,
catalogs), `ads` (ad accounts, campaigns, ad groups, ads, keywords) and `audiences`
(audiences, customer lists, conversion tags), with `util` (ids, times, counts) and
`vocab` (the words of generated text).

The bottom layer: imports nothing else from the simulator (tests/test_layering.py).
"""
