# Moneta on AWS, PCI DSS-ready by construction. The files split the estate by concern:
#   network.tf   VPC, subnets, flow logs, security groups     (PCI DSS 1.x, 10.2)
#   kms.tf       customer managed keys with rotation          (3.5, 3.6, 3.7)
#   database.tf  RDS PostgreSQL                               (3.5, 4.2, 8.3, 12.10)
#   cache.tf     ElastiCache Redis                            (3.5, 4.2, 8.3)
#   kafka.tf     MSK (optional)                               (3.5, 4.2, 8.3)
#   secrets.tf   Secrets Manager                              (8.6.2, 3.6.1)
#   service.tf   ECS Fargate service and its IAM              (7.2, 8.6)
#   edge.tf      ALB (TLS 1.2+) and AWS WAF                   (4.2.1, 6.4.2)
#   logging.tf   CloudTrail, S3 log bucket with object lock   (10.2, 10.3, 10.5)
#   detection.tf GuardDuty, Security Hub PCI DSS standard     (10.4, 11.5)

data "aws_caller_identity" "current" {}
data "aws_region" "current" {}
data "aws_partition" "current" {}

locals {
  account_id = data.aws_caller_identity.current.account_id
  region     = data.aws_region.current.name
  partition  = data.aws_partition.current.partition

  tags = merge(var.tags, {
    "moneta:module" = "deploy/terraform/aws"
    "pci-dss:scope" = "cde"
  })

  moneta_port = 4000
}
