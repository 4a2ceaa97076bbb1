"""Tocsin's domain: incidents, response levels, grading and response planning.

Pure code: plain dataclasses and functions, no frameworks, no network, time passed in.
"""
