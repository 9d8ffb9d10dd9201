output "url" {
  description = "Public URL Moneta answers on (point its DNS name at alb_dns_name)."
  value       = var.public_url
}

output "alb_dns_name" {
  description = "DNS name of the load balancer (a CNAME or alias target for public_url's host)."
  value       = aws_lb.moneta.dns_name
}

output "vpc_id" {
  description = "VPC of the cardholder data environment."
  value       = module.vpc.vpc_id
}

output "database_endpoint" {
  description = "RDS PostgreSQL endpoint (host:port), reachable from the private subnets only, TLS only."
  value       = aws_db_instance.postgres.endpoint
}

output "database_master_secret_arn" {
  description = "Secrets Manager secret RDS keeps the master password in (rotated by RDS)."
  value       = aws_db_instance.postgres.master_user_secret[0].secret_arn
}

output "master_key_secret_arn" {
  description = "Secret to put MONETA_MASTER_KEY into (README: Secrets) before the service can start."
  value       = aws_secretsmanager_secret.master_key.arn
}

output "database_url_secret_arn" {
  description = "Secret to put Moneta's DATABASE_URL into (README: Secrets)."
  value       = aws_secretsmanager_secret.database_url.arn
}

output "log_bucket" {
  description = "S3 bucket holding CloudTrail logs under object lock."
  value       = aws_s3_bucket.logs.id
}

output "kms_key_arns" {
  description = "Customer managed keys: data (databases, secrets) and logs."
  value       = { data = aws_kms_key.data.arn, logs = aws_kms_key.logs.arn }
}

output "kafka_bootstrap_brokers_iam" {
  description = "MSK bootstrap brokers for TLS + IAM clients (null unless enable_msk)."
  value       = var.enable_msk ? aws_msk_cluster.kafka[0].bootstrap_brokers_sasl_iam : null
}
