# Redis: Moneta's event bus, rate limits and leases. Encrypted at rest with the data CMK (3.5.1),
# TLS in transit (4.2.1) and an AUTH token (8.3.1) that lives only in Secrets Manager for the
# service (it is also in the Terraform state: keep the state in an encrypted, access-controlled
# backend, as README says).

resource "random_password" "redis_auth" {
  length  = 64
  special = false
}

resource "aws_elasticache_subnet_group" "redis" {
  name       = "${var.name}-redis"
  subnet_ids = module.vpc.private_subnets
  tags       = local.tags
}

resource "aws_elasticache_replication_group" "redis" {
  replication_group_id = "${var.name}-redis"
  description          = "Moneta event bus, rate limits and leases"
  engine               = "redis"
  engine_version       = var.redis_engine_version
  node_type            = var.redis_node_type
  port                 = 6379

  num_cache_clusters         = 2
  automatic_failover_enabled = true
  multi_az_enabled           = true

  subnet_group_name  = aws_elasticache_subnet_group.redis.name
  security_group_ids = [aws_security_group.redis.id]

  at_rest_encryption_enabled = true
  kms_key_id                 = aws_kms_key.data.arn
  transit_encryption_enabled = true
  transit_encryption_mode    = "required"
  auth_token                 = random_password.redis_auth.result
  auth_token_update_strategy = "ROTATE"

  snapshot_retention_limit   = 7
  auto_minor_version_upgrade = true
  apply_immediately          = false

  tags = local.tags
}
