"""Reproducible timings of Alliance Desktop on a generated caseload (``make bench``)."""
