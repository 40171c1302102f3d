output "history_bucket" {
  description = "Where results (trail-auditor/history/) and reports (trail-auditor/reports/) go"
  value       = aws_s3_bucket.history.id
}

output "failure_topic_arn" {
  description = "SNS topic of new failures"
  value       = aws_sns_topic.failures.arn
}

output "scanner_role_arn" {
  description = "The principal to trust in the audit role (trusted_principal)"
  value       = aws_iam_role.scanner.arn
}
