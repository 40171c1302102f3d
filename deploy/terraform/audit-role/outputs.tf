output "role_arn" {
  description = "The audit role's ARN"
  value       = aws_iam_role.audit.arn
}

output "role_name" {
  description = "The --role-name to give the scanner"
  value       = aws_iam_role.audit.name
}
