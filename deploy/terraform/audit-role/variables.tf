variable "trusted_principal" {
  description = "Who may assume the role: the scanner's account id or the ARN of the scanner's role."
  type        = string
  validation {
    condition     = can(regex("^([0-9]{12}|arn:aws[a-z-]*:iam::[0-9]{12}:(root|role/[\\w+=,.@/-]+))$", var.trusted_principal))
    error_message = "trusted_principal must be a 12-digit account id or an IAM role (or root) ARN."
  }
}

variable "external_id" {
  description = "The external id the scanner passes to sts:AssumeRole (--external-id)."
  type        = string
  validation {
    condition     = length(var.external_id) >= 2 && length(var.external_id) <= 1224
    error_message = "external_id must be 2 to 1224 characters."
  }
}

variable "role_name" {
  description = "The role's name; the scanner's --role-name."
  type        = string
  default     = "TrailAuditorAuditRole"
}

variable "history_bucket_arn" {
  description = "Optional (off when empty): bucket ARN this role may write scan history to (--history s3://)."
  type        = string
  default     = ""
}

variable "notify_topic_arn" {
  description = "Optional (off when empty): SNS topic ARN this role may publish new failures to (--notify-sns)."
  type        = string
  default     = ""
}
