"""Sigma rules written for ``trail-auditor demo`` (package data: the ``*.yml`` files here).

They are the demo's own rules, not SigmaHQ's: small, readable examples that
match the intrusion story the demo seeds into its CloudTrail logs, plus one
correlation rule the evaluator deliberately reports as unsupported.
"""
