"""Surveys (アンケート): definitions, answering, segments, results, and the one-question satisfaction check."""
