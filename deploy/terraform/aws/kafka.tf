# Optional MSK cluster (enable_msk): TLS between clients and brokers and inside the cluster
# (4.2.1), IAM client authentication only (8.3.1: no anonymous or shared-password clients),
# encrypted at rest with the data CMK (3.5.1), broker logs to CloudWatch Logs (10.2.1).

resource "aws_cloudwatch_log_group" "kafka" {
  count = var.enable_msk ? 1 : 0

  name              = "/moneta/${var.name}/msk"
  retention_in_days = var.log_retention_days
  kms_key_id        = aws_kms_key.logs.arn
  tags              = local.tags
}

resource "aws_msk_cluster" "kafka" {
  count = var.enable_msk ? 1 : 0

  cluster_name           = "${var.name}-kafka"
  kafka_version          = var.msk_kafka_version
  number_of_broker_nodes = length(var.azs)

  broker_node_group_info {
    instance_type   = var.msk_instance_type
    client_subnets  = module.vpc.private_subnets
    security_groups = [aws_security_group.kafka[0].id]

    storage_info {
      ebs_storage_info {
        volume_size = 100
      }
    }
  }

  encryption_info {
    encryption_at_rest_kms_key_arn = aws_kms_key.data.arn

    encryption_in_transit {
      client_broker = "TLS"
      in_cluster    = true
    }
  }

  client_authentication {
    unauthenticated = false

    sasl {
      iam = true
    }
  }

  logging_info {
    broker_logs {
      cloudwatch_logs {
        enabled   = true
        log_group = aws_cloudwatch_log_group.kafka[0].name
      }
    }
  }

  tags = local.tags
}
