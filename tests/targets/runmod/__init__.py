"""A package run as `python -m runmod`: its __main__ calls into runmod.work.

Runs on CPython 3.6 and later.
"""
