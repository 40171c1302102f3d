"""The Lambda handler path the deploy templates and recipes publish: ``auditor.aws_lambda.handler``.

A stable name for deployed functions; the code lives in :mod:`auditor.aws.lambda_handler`.
"""

from __future__ import annotations

from auditor.aws.lambda_handler import handler

__all__ = ["handler"]
