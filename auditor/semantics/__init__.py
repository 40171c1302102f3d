"""What AWS configuration means: event selectors, the CloudWatch Logs filter-pattern language, CIS items.

Pure functions of ``auditor.model``; no AWS calls, no check results. May import ``auditor.model``.
"""
