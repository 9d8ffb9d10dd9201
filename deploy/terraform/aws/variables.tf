# Every input of the module. The PCI DSS floors (retention, backups, TLS) are enforced by
# `validation` blocks, so a plan with a weaker value fails before anything is created.

variable "name" {
  description = "Prefix of every resource name (lowercase letters, digits and hyphens, at most 24 characters)."
  type        = string
  default     = "moneta"

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{0,23}$", var.name))
    error_message = "name must be 1-24 lowercase letters, digits or hyphens, starting with a letter."
  }
}

variable "tags" {
  description = "Tags added to every resource (for example owner, cost centre, pci-scope = \"cde\")."
  type        = map(string)
  default     = {}
}

variable "vpc_cidr" {
  description = "CIDR block of the VPC that holds the cardholder data environment."
  type        = string
  default     = "10.40.0.0/16"
}

variable "azs" {
  description = "Availability zones to spread subnets over (at least two: RDS Multi-AZ, ALB and MSK need them)."
  type        = list(string)

  validation {
    condition     = length(var.azs) >= 2
    error_message = "Give at least two availability zones."
  }
}

variable "public_subnet_cidrs" {
  description = "One CIDR per availability zone for the public subnets: only the load balancer and NAT gateways live there."
  type        = list(string)
  default     = ["10.40.0.0/24", "10.40.1.0/24", "10.40.2.0/24"]
}

variable "private_subnet_cidrs" {
  description = "One CIDR per availability zone for the private subnets of the Moneta tasks, Redis and Kafka."
  type        = list(string)
  default     = ["10.40.16.0/20", "10.40.32.0/20", "10.40.48.0/20"]
}

variable "database_subnet_cidrs" {
  description = "One CIDR per availability zone for the isolated database subnets (no route to the internet)."
  type        = list(string)
  default     = ["10.40.64.0/24", "10.40.65.0/24", "10.40.66.0/24"]
}

variable "allowed_ingress_cidrs" {
  description = "Client networks allowed to reach the load balancer, on port 443 only. The default is the internet: narrow it for an operator-only deployment."
  type        = list(string)
  default     = ["0.0.0.0/0"]
}

variable "certificate_arn" {
  description = "ARN of the ACM certificate the load balancer presents (TLS 1.2+ only)."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:acm:", var.certificate_arn))
    error_message = "certificate_arn must be the ARN of an ACM certificate."
  }
}

variable "alb_ssl_policy" {
  description = "TLS policy of the HTTPS listener. Only policies that refuse TLS 1.0 and 1.1 are accepted (PCI DSS 4.2.1)."
  type        = string
  default     = "ELBSecurityPolicy-TLS13-1-2-2021-06"

  validation {
    condition     = can(regex("^ELBSecurityPolicy-(TLS13-1-[23]|TLS-1-2|FS-1-2)", var.alb_ssl_policy))
    error_message = "alb_ssl_policy must be a TLS 1.2+ policy (ELBSecurityPolicy-TLS13-1-2-*, -TLS13-1-3-*, -TLS-1-2-*, -FS-1-2-*)."
  }
}

variable "public_url" {
  description = "Public HTTPS base URL of Moneta (MONETA_PUBLIC_URL), e.g. https://moneta.example.com."
  type        = string

  validation {
    condition     = startswith(var.public_url, "https://")
    error_message = "public_url must start with https://."
  }
}

variable "moneta_image" {
  description = "Container image of Moneta, pinned by digest (repository@sha256:...) so what runs is what was reviewed."
  type        = string
}

variable "moneta_cpu" {
  description = "Fargate CPU units of one Moneta task (1024 = one vCPU)."
  type        = number
  default     = 1024
}

variable "moneta_memory" {
  description = "Fargate memory of one Moneta task, in MiB."
  type        = number
  default     = 2048
}

variable "moneta_desired_count" {
  description = "Moneta tasks to run (spread over the private subnets)."
  type        = number
  default     = 2
}

variable "moneta_environment" {
  description = "Extra plain (non-secret) environment variables for Moneta. Secrets never go here: names that look like keys, secrets, passwords, tokens or URLs with credentials are refused; use secret_arns."
  type        = map(string)
  default     = {}

  validation {
    condition = alltrue([
      for k in keys(var.moneta_environment) :
      !can(regex("(?i)(KEY|SECRET|PASSWORD|TOKEN|DATABASE_URL|REDIS_URL|CREDENTIAL)", k))
    ])
    error_message = "moneta_environment must not carry secrets (names with KEY, SECRET, PASSWORD, TOKEN, CREDENTIAL, DATABASE_URL or REDIS_URL): put them in Secrets Manager and pass them through secret_arns."
  }
}

variable "secret_arns" {
  description = "Further Secrets Manager secrets given to Moneta as environment variables at start (name => secret ARN), e.g. MONETA_STRIPE_SECRET_KEY. They are read by the ECS agent, never stored in the task definition."
  type        = map(string)
  default     = {}
}

variable "postgres_engine_version" {
  description = "PostgreSQL major version of the RDS instance (the parameter group family follows it)."
  type        = string
  default     = "16"
}

variable "db_instance_class" {
  description = "RDS instance class."
  type        = string
  default     = "db.m7g.large"
}

variable "db_allocated_storage" {
  description = "Initial RDS storage in GiB (autoscaling up to four times this)."
  type        = number
  default     = 100
}

variable "db_backup_retention_days" {
  description = "Days of automated RDS backups (point-in-time recovery), 7 to 35."
  type        = number
  default     = 35

  validation {
    condition     = var.db_backup_retention_days >= 7 && var.db_backup_retention_days <= 35
    error_message = "db_backup_retention_days must be between 7 and 35."
  }
}

variable "redis_node_type" {
  description = "ElastiCache node type of the Redis replication group (event bus, rate limits, leases)."
  type        = string
  default     = "cache.m7g.large"
}

variable "redis_engine_version" {
  description = "Redis OSS engine version."
  type        = string
  default     = "7.1"
}

variable "enable_msk" {
  description = "Also create an MSK Kafka cluster (TLS in transit, IAM client authentication). Moneta's Kafka adapter does not speak SASL/IAM yet, so the default event bus stays Redis (see README)."
  type        = bool
  default     = false
}

variable "msk_kafka_version" {
  description = "Kafka version of the MSK cluster (when enable_msk)."
  type        = string
  default     = "3.6.0"
}

variable "msk_instance_type" {
  description = "Broker instance type of the MSK cluster (when enable_msk)."
  type        = string
  default     = "kafka.m7g.large"
}

variable "log_retention_days" {
  description = "Days CloudWatch Logs keep VPC flow logs, application logs and CloudTrail copies. PCI DSS 10.5.1 asks 12 months at least; CloudWatch accepts 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288 or 3653 above a year."
  type        = number
  default     = 400

  validation {
    condition     = contains([400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_days)
    error_message = "log_retention_days must be a CloudWatch retention of at least 12 months: 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288 or 3653."
  }
}

variable "log_bucket_retention_days" {
  description = "Days the S3 log bucket keeps every object under object lock (compliance mode) before expiry. At least 365 (PCI DSS 10.5.1)."
  type        = number
  default     = 400

  validation {
    condition     = var.log_bucket_retention_days >= 365
    error_message = "log_bucket_retention_days must be at least 365."
  }
}

variable "audit_retention_days" {
  description = "MONETA_AUDIT_RETENTION_DAYS: Moneta's own audit entries keep their text this long (hashes stay forever). At least 365."
  type        = number
  default     = 400

  validation {
    condition     = var.audit_retention_days >= 365
    error_message = "audit_retention_days must be at least 365 (PCI DSS 10.5.1)."
  }
}

variable "waf_rate_limit" {
  description = "Requests per five minutes from one client address before the WAF blocks it."
  type        = number
  default     = 2000
}

variable "enable_guardduty" {
  description = "Create the GuardDuty detector. Set false only when the account's GuardDuty is managed by an organisation administrator (one detector per account and region)."
  type        = bool
  default     = true
}

variable "enable_security_hub" {
  description = "Enable Security Hub with the PCI DSS standard. Set false only when an organisation administrator already enables it for this account."
  type        = bool
  default     = true
}

variable "pci_dss_standard_version" {
  description = "Version of the Security Hub PCI DSS standard to subscribe to."
  type        = string
  default     = "4.0.1"
}
