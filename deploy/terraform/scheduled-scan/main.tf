# trail-auditor scheduled scan: an EventBridge schedule runs the Lambda handler auditor.aws_lambda.handler
# across the organisation through the audit role, stores results and JSON/HTML/SARIF reports in a versioned,
# encrypted, TLS-only history bucket and publishes new failures to SNS. The same as
# deploy/cloudformation/scheduled-scan.yaml. The read-only policy is iam-policy.json in this folder, a copy of
# policy/iam-policy.json written by scripts/gen_deploy_policies.py (a test holds it equal).

terraform {
  required_version = ">= 1.3"
  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 5.0"
    }
  }
}

locals {
  prefix        = "trail-auditor"
  function_name = "trail-auditor-scheduled-scan"
}

resource "aws_s3_bucket" "history" {
  #checkov:skip=CKV_AWS_18:Server access logging needs a second bucket; only the scanner writes here, and the organisation trail's S3 data events audit access if required.
  #checkov:skip=CKV_AWS_144:Cross-region replication doubles storage for results that the next scan regenerates; the bucket is versioned.
  #checkov:skip=CKV2_AWS_62:Nothing consumes object events; new failures are already published to SNS by the scan.
  bucket_prefix = "trail-auditor-history-"
}

resource "aws_s3_bucket_versioning" "history" {
  bucket = aws_s3_bucket.history.id
  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_bucket_server_side_encryption_configuration" "history" {
  bucket = aws_s3_bucket.history.id
  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm = "aws:kms"
    }
    bucket_key_enabled = true
  }
}

resource "aws_s3_bucket_public_access_block" "history" {
  bucket                  = aws_s3_bucket.history.id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_ownership_controls" "history" {
  bucket = aws_s3_bucket.history.id
  rule {
    object_ownership = "BucketOwnerEnforced"
  }
}

resource "aws_s3_bucket_lifecycle_configuration" "history" {
  bucket = aws_s3_bucket.history.id
  rule {
    id     = "reports"
    status = "Enabled"
    filter {
      prefix = "${local.prefix}/reports/"
    }
    expiration {
      days = var.report_retention_days
    }
  }
  rule {
    id     = "history"
    status = "Enabled"
    filter {
      prefix = "${local.prefix}/history/"
    }
    expiration {
      days = var.history_retention_days
    }
  }
  rule {
    id     = "old-versions-and-uploads"
    status = "Enabled"
    filter {}
    noncurrent_version_expiration {
      noncurrent_days = 30
    }
    abort_incomplete_multipart_upload {
      days_after_initiation = 7
    }
  }
}

resource "aws_s3_bucket_policy" "history" {
  bucket = aws_s3_bucket.history.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Sid       = "DenyInsecureTransport"
      Effect    = "Deny"
      Principal = "*"
      Action    = "s3:*"
      Resource  = [aws_s3_bucket.history.arn, "${aws_s3_bucket.history.arn}/*"]
      Condition = { Bool = { "aws:SecureTransport" = "false" } }
    }]
  })
}

resource "aws_sns_topic" "failures" {
  name_prefix       = "trail-auditor-new-failures-"
  display_name      = "trail-auditor new failures"
  kms_master_key_id = "alias/aws/sns"
}

resource "aws_sns_topic_subscription" "email" {
  count     = var.notification_email == "" ? 0 : 1
  topic_arn = aws_sns_topic.failures.arn
  protocol  = "email"
  endpoint  = var.notification_email
}

resource "aws_cloudwatch_log_group" "scan" {
  #checkov:skip=CKV_AWS_158:The function logs progress and counts only; CloudWatch Logs encrypts at rest with AWS keys, and a customer key adds a key policy for no added protection here.
  name              = "/aws/lambda/${local.function_name}"
  retention_in_days = 365
}

resource "aws_iam_role" "scanner" {
  name_prefix = "trail-auditor-scanner-"
  description = "trail-auditor scheduled scan (Lambda)"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Service = "lambda.amazonaws.com" }
      Action    = "sts:AssumeRole"
    }]
  })
}

resource "aws_iam_role_policy" "read_only" {
  name   = "trail-auditor-read-only"
  role   = aws_iam_role.scanner.id
  policy = file("${path.module}/iam-policy.json")
}

resource "aws_iam_role_policy" "write" {
  name = "trail-auditor-write"
  role = aws_iam_role.scanner.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid      = "TrailAuditorWriteHistory"
        Effect   = "Allow"
        Action   = "s3:PutObject"
        Resource = "${aws_s3_bucket.history.arn}/${local.prefix}/*"
      },
      {
        Sid      = "TrailAuditorNotify"
        Effect   = "Allow"
        Action   = "sns:Publish"
        Resource = aws_sns_topic.failures.arn
      },
      {
        Sid      = "OwnLogs"
        Effect   = "Allow"
        Action   = ["logs:CreateLogStream", "logs:PutLogEvents"]
        Resource = "${aws_cloudwatch_log_group.scan.arn}:*"
      },
    ]
  })
}

resource "aws_lambda_function" "scan" {
  #checkov:skip=CKV_AWS_116:The only event is the constant schedule payload; a failed run is retried by Lambda's asynchronous retries and by the next schedule, so a DLQ holds nothing to recover.
  #checkov:skip=CKV_AWS_117:The scan calls AWS APIs in every region; a VPC would need a NAT gateway or interface endpoints per service, the deploying organisation's network choice.
  #checkov:skip=CKV_AWS_272:The artefact is built by the deploying team from this repository (docs/deploy.md); code signing needs their signing profile, which they can add.
  #checkov:skip=CKV_AWS_173:The environment holds bucket, prefix, role and topic names and the external ID (a confused-deputy guard, not a credential); Lambda encrypts it at rest with its service key.
  #checkov:skip=CKV_AWS_50:X-Ray tracing would need xray:PutTraceSegments on the scanner role and adds nothing to a scan's own progress and results.
  function_name                  = local.function_name
  description                    = "trail-auditor scan of the organisation (auditor.aws_lambda.handler)"
  runtime                        = "python3.12"
  handler                        = "auditor.aws_lambda.handler"
  s3_bucket                      = var.artefact_bucket
  s3_key                         = var.artefact_key
  role                           = aws_iam_role.scanner.arn
  timeout                        = 900
  memory_size                    = 2048
  reserved_concurrent_executions = 1
  depends_on                     = [aws_cloudwatch_log_group.scan]

  # Destinations, role and scope are the function's configuration, never the event's.
  environment {
    variables = {
      TRAIL_AUDITOR_OUTPUT_BUCKET = aws_s3_bucket.history.id
      TRAIL_AUDITOR_OUTPUT_PREFIX = local.prefix
      TRAIL_AUDITOR_ORGANIZATION  = "true"
      TRAIL_AUDITOR_ROLE_NAME     = var.audit_role_name
      TRAIL_AUDITOR_EXTERNAL_ID   = var.external_id
      TRAIL_AUDITOR_NOTIFY_SNS    = aws_sns_topic.failures.arn
    }
  }
}

resource "aws_cloudwatch_event_rule" "schedule" {
  name_prefix         = "trail-auditor-schedule-"
  description         = "Run trail-auditor on a schedule"
  schedule_expression = var.schedule_expression
}

resource "aws_cloudwatch_event_target" "scan" {
  rule = aws_cloudwatch_event_rule.schedule.name
  arn  = aws_lambda_function.scan.arn
  input = jsonencode({
    logs_since        = var.logs_since
    retention_profile = var.retention_profile
    formats           = ["json", "html", "sarif"]
  })
}

resource "aws_lambda_permission" "schedule" {
  function_name = aws_lambda_function.scan.function_name
  action        = "lambda:InvokeFunction"
  principal     = "events.amazonaws.com"
  source_arn    = aws_cloudwatch_event_rule.schedule.arn
}
