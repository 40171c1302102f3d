"""Compatibility path for Lambda functions configured with ``auditor.aws_lambda.handler``."""

from __future__ import annotations

from auditor.aws.lambda_handler import handler

__all__ = ["handler"]
