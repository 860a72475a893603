"""The mirror's database, shared by its two sides: the URLs it supports and opening one
(`database`), the SQLite/PostgreSQL differences (`dialects`, `textsearch`), what a
stream's SCHEMA makes of its table (`schema`), the tables and their catalog (`store`),
the data both sides pass around (`types`) and the errors (`errors`).

Imports nothing else of the mirror: `load` writes through it, `query` reads through it.
"""
