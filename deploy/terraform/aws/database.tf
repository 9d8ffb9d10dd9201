# PostgreSQL for Moneta's ledger, payments, vault and audit log.
#  - encrypted at rest with the data CMK (PCI DSS 3.5.1), snapshots and Performance Insights too;
#  - TLS forced on every connection by rds.force_ssl (4.2.1);
#  - IAM database authentication for people (8.3.1, 8.2.2: no shared DBA password), the master
#    password managed by RDS in Secrets Manager and rotated there (8.3.9, 8.6.3);
#  - in isolated subnets, never publicly accessible (1.4.4);
#  - backups kept and deletion protected (12.10.1: recovery).

resource "aws_db_parameter_group" "postgres" {
  name_prefix = "${var.name}-pg${var.postgres_engine_version}-"
  family      = "postgres${var.postgres_engine_version}"
  description = "Moneta: TLS only, connection logging"
  tags        = local.tags

  parameter {
    name  = "rds.force_ssl"
    value = "1"
  }

  parameter {
    name  = "ssl_min_protocol_version"
    value = "TLSv1.2"
  }

  parameter {
    name  = "log_connections"
    value = "1"
  }

  parameter {
    name  = "log_disconnections"
    value = "1"
  }

  lifecycle {
    create_before_destroy = true
  }
}

resource "aws_db_instance" "postgres" {
  identifier     = "${var.name}-postgres"
  engine         = "postgres"
  engine_version = var.postgres_engine_version
  instance_class = var.db_instance_class

  allocated_storage     = var.db_allocated_storage
  max_allocated_storage = var.db_allocated_storage * 4
  storage_type          = "gp3"
  storage_encrypted     = true
  kms_key_id            = aws_kms_key.data.arn

  db_name                       = "moneta"
  username                      = "moneta_admin"
  manage_master_user_password   = true
  master_user_secret_kms_key_id = aws_kms_key.data.arn

  iam_database_authentication_enabled = true
  parameter_group_name                = aws_db_parameter_group.postgres.name

  db_subnet_group_name   = module.vpc.database_subnet_group_name
  vpc_security_group_ids = [aws_security_group.db.id]
  publicly_accessible    = false
  multi_az               = true

  backup_retention_period   = var.db_backup_retention_days
  backup_window             = "02:00-03:00"
  maintenance_window        = "sun:03:30-sun:04:30"
  copy_tags_to_snapshot     = true
  deletion_protection       = true
  skip_final_snapshot       = false
  final_snapshot_identifier = "${var.name}-postgres-final"

  auto_minor_version_upgrade      = true
  enabled_cloudwatch_logs_exports = ["postgresql", "upgrade"]
  performance_insights_enabled    = true
  performance_insights_kms_key_id = aws_kms_key.data.arn

  tags = local.tags
}
