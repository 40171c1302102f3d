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

variable "enable_athena" {
  description = "Optional (off by default): add the Athena engine's permissions (policy/iam-policy-athena.json) for --engine athena, in this provider's account and region. Only where scans run on Athena as this role."
  type        = bool
  default     = false
}

variable "athena_workgroup" {
  description = "With enable_athena, the work group the queries run in (--athena-workgroup)."
  type        = string
  default     = "primary"
}

variable "athena_database" {
  description = "With enable_athena, the Glue database of the table (--athena-table DATABASE.TABLE)."
  type        = string
  default     = "default"
}

variable "athena_table" {
  description = "With enable_athena, the table athena-ddl created (--athena-table DATABASE.TABLE)."
  type        = string
  default     = "cloudtrail_logs"
}

variable "athena_trail_bucket" {
  description = "With enable_athena, the name of the trail bucket the table reads."
  type        = string
  default     = ""
}

variable "athena_results_bucket" {
  description = "With enable_athena, the bucket Athena writes query results to (--athena-output s3://BUCKET/PREFIX/)."
  type        = string
  default     = ""
}

variable "athena_results_prefix" {
  description = "With enable_athena, the key prefix of the query results in athena_results_bucket (no slashes at the ends)."
  type        = string
  default     = "trail-auditor"
}
