"""Everything that talks to AWS: the collector, trail-log and digest readers, the history store's
S3 client, SNS, the Lambda handler, demo seeding.

The only package that imports boto3/botocore (import contract in pyproject.toml). It may import
any layer; no layer but ``auditor.app`` imports it.
"""
