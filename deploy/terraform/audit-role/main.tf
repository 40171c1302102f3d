# trail-auditor audit role: read-only access for the scanner, trusted only with the external id.
# The read-only policy is iam-policy.json in this folder, a copy of policy/iam-policy.json written by
# scripts/gen_deploy_policies.py (a test holds it equal); do not edit it by hand. The opt-in Athena
# permissions are iam-policy-athena.json.tftpl, policy/iam-policy-athena.json with its placeholders
# as template variables (a test holds it equal too).

terraform {
  required_version = ">= 1.3"
  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 5.0"
    }
  }
}

data "aws_partition" "current" {}

data "aws_region" "current" {}

data "aws_caller_identity" "current" {}

locals {
  # An account id is trusted as that account's root principal; an ARN as itself.
  trusted_principal = can(regex("^[0-9]{12}$", var.trusted_principal)) ? "arn:${data.aws_partition.current.partition}:iam::${var.trusted_principal}:root" : var.trusted_principal
}

resource "aws_iam_role" "audit" {
  name                 = var.role_name
  description          = "trail-auditor read-only audit role"
  max_session_duration = 3600
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { AWS = local.trusted_principal }
      Action    = "sts:AssumeRole"
      Condition = { StringEquals = { "sts:ExternalId" = var.external_id } }
    }]
  })
}

resource "aws_iam_role_policy" "read_only" {
  name   = "trail-auditor-read-only"
  role   = aws_iam_role.audit.id
  policy = file("${path.module}/iam-policy.json")
}

resource "aws_iam_role_policy" "write_history" {
  count = var.history_bucket_arn == "" ? 0 : 1
  name  = "trail-auditor-write-history"
  role  = aws_iam_role.audit.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Sid      = "TrailAuditorWriteHistory"
      Effect   = "Allow"
      Action   = "s3:PutObject"
      Resource = "${var.history_bucket_arn}/*"
    }]
  })
}

resource "aws_iam_role_policy" "notify" {
  count = var.notify_topic_arn == "" ? 0 : 1
  name  = "trail-auditor-notify"
  role  = aws_iam_role.audit.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Sid      = "TrailAuditorNotify"
      Effect   = "Allow"
      Action   = "sns:Publish"
      Resource = var.notify_topic_arn
    }]
  })
}

resource "aws_iam_role_policy" "athena" {
  count = var.enable_athena ? 1 : 0
  name  = "trail-auditor-athena"
  role  = aws_iam_role.audit.id
  policy = templatefile("${path.module}/iam-policy-athena.json.tftpl", {
    partition      = data.aws_partition.current.partition
    region         = data.aws_region.current.name
    account_id     = data.aws_caller_identity.current.account_id
    workgroup      = var.athena_workgroup
    database       = var.athena_database
    table          = var.athena_table
    trail_bucket   = var.athena_trail_bucket
    results_bucket = var.athena_results_bucket
    results_prefix = var.athena_results_prefix
  })
  lifecycle {
    precondition {
      condition     = var.athena_trail_bucket != "" && var.athena_results_bucket != ""
      error_message = "enable_athena needs athena_trail_bucket and athena_results_bucket."
    }
  }
}
