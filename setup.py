"""For Scrapyd's `scrapyd-deploy`, which builds the project's egg with `python setup.py bdist_egg`:
everything (packages, package data, the `scrapy` entry point) comes from pyproject.toml."""
from setuptools import setup

setup()
