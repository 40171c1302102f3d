variable "artefact_bucket" {
  description = "Bucket holding the Lambda artefact (docs/deploy.md says how to build it)."
  type        = string
}

variable "artefact_key" {
  description = "Key of the artefact zip."
  type        = string
}

variable "audit_role_name" {
  description = "The audit role deployed in every account (audit-role module or StackSet)."
  type        = string
  default     = "TrailAuditorAuditRole"
}

variable "external_id" {
  description = "The external id the audit role requires."
  type        = string
}

variable "schedule_expression" {
  description = "When to scan (EventBridge rate() or cron() expression)."
  type        = string
  default     = "rate(1 day)"
}

variable "logs_since" {
  description = "Window of log evidence each scan reads (e.g. 1d, 12h)."
  type        = string
  default     = "1d"
}

variable "retention_profile" {
  description = "Retention profile judged by bucket-retention (pci, hipaa)."
  type        = string
  default     = "pci"
}

variable "report_retention_days" {
  description = "Days rendered reports are kept."
  type        = number
  default     = 90
}

variable "history_retention_days" {
  description = "Days results documents are kept (400 covers a year of trend and drift)."
  type        = number
  default     = 400
}

variable "notification_email" {
  description = "Optional (none when empty) e-mail address subscribed to the new-failure topic."
  type        = string
  default     = ""
}
