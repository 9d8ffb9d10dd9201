# Secrets reach Moneta only through Secrets Manager (PCI DSS 8.6.2: no credential in code, images
# or task definitions; 3.6.1: the master key is stored encrypted under the data CMK and readable
# only by the task execution role). Terraform creates the master key's and the database URL's
# secrets EMPTY: their values are put by an operator (README: "Secrets"), so they never enter the
# Terraform state or a plan output.

resource "aws_secretsmanager_secret" "master_key" {
  name_prefix             = "${var.name}/master-key-"
  description             = "MONETA_MASTER_KEY: 32-byte key-encryption key (hex or base64). Put with aws secretsmanager put-secret-value."
  kms_key_id              = aws_kms_key.data.arn
  recovery_window_in_days = 30
  tags                    = local.tags
}

resource "aws_secretsmanager_secret" "database_url" {
  name_prefix             = "${var.name}/database-url-"
  description             = "DATABASE_URL of Moneta's own PostgreSQL role, with sslmode=verify-full. Put with aws secretsmanager put-secret-value."
  kms_key_id              = aws_kms_key.data.arn
  recovery_window_in_days = 30
  tags                    = local.tags
}

resource "aws_secretsmanager_secret" "redis_url" {
  name_prefix             = "${var.name}/redis-url-"
  description             = "REDIS_URL (rediss://, TLS + AUTH) of the ElastiCache replication group"
  kms_key_id              = aws_kms_key.data.arn
  recovery_window_in_days = 30
  tags                    = local.tags
}

resource "aws_secretsmanager_secret_version" "redis_url" {
  secret_id     = aws_secretsmanager_secret.redis_url.id
  secret_string = "rediss://:${random_password.redis_auth.result}@${aws_elasticache_replication_group.redis.primary_endpoint_address}:6379"
}

locals {
  # Environment variable name => Secrets Manager ARN, resolved by the ECS agent at task start.
  moneta_required_secrets = {
    MONETA_MASTER_KEY = aws_secretsmanager_secret.master_key.arn
    DATABASE_URL      = aws_secretsmanager_secret.database_url.arn
    REDIS_URL         = aws_secretsmanager_secret.redis_url.arn
  }
  moneta_secrets = merge(var.secret_arns, local.moneta_required_secrets)
}
