"""The command line, `tintinh …` (cli.main): the top of the house.

Owns argument parsing, printing and turning user errors into one line. May import every package
below it: crawler, pipelines, archive and common. Nothing imports cli.
"""
