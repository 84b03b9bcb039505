"""Importers of published maturity models: each turns a source file into a SPATZ catalog."""
