"""Compliance frameworks as data: load and validate ``mappings/*.yaml``, roll findings up per control.

May import ``auditor.engine.runner`` and below.
"""
