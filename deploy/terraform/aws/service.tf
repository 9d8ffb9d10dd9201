# Moneta on ECS Fargate in the private subnets. The task definition holds no secret: every
# credential is a `secrets` entry the ECS agent resolves from Secrets Manager at start (8.6.2).
# Least privilege (7.2.1): the execution role reads exactly these secrets and decrypts with the
# data key; the task role holds nothing (Moneta calls no AWS API itself).

resource "aws_cloudwatch_log_group" "moneta" {
  name              = "/moneta/${var.name}/app"
  retention_in_days = var.log_retention_days
  kms_key_id        = aws_kms_key.logs.arn
  tags              = local.tags
}

resource "aws_ecs_cluster" "moneta" {
  name = var.name
  tags = local.tags

  setting {
    name  = "containerInsights"
    value = "enabled"
  }
}

data "aws_iam_policy_document" "ecs_tasks_assume" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["ecs-tasks.amazonaws.com"]
    }
    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account_id]
    }
  }
}

resource "aws_iam_role" "execution" {
  name_prefix        = "${var.name}-exec-"
  assume_role_policy = data.aws_iam_policy_document.ecs_tasks_assume.json
  tags               = local.tags
}

resource "aws_iam_role_policy_attachment" "execution_ecr_and_logs" {
  role       = aws_iam_role.execution.name
  policy_arn = "arn:${local.partition}:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy"
}

data "aws_iam_policy_document" "execution_secrets" {
  statement {
    sid       = "ReadMonetaSecrets"
    actions   = ["secretsmanager:GetSecretValue"]
    resources = values(local.moneta_secrets)
  }

  statement {
    sid       = "DecryptSecrets"
    actions   = ["kms:Decrypt"]
    resources = [aws_kms_key.data.arn]
  }
}

resource "aws_iam_role_policy" "execution_secrets" {
  name   = "read-moneta-secrets"
  role   = aws_iam_role.execution.id
  policy = data.aws_iam_policy_document.execution_secrets.json
}

resource "aws_iam_role" "task" {
  name_prefix        = "${var.name}-task-"
  assume_role_policy = data.aws_iam_policy_document.ecs_tasks_assume.json
  tags               = local.tags
}

locals {
  # Plain settings only; variables.tf refuses secret-looking names in moneta_environment.
  moneta_plain_environment = {
    NODE_ENV                    = "production"
    PORT                        = tostring(local.moneta_port)
    LOG_LEVEL                   = "info"
    MONETA_EVENT_BUS            = "redis"
    MONETA_PUBLIC_URL           = var.public_url
    MONETA_TRUST_PROXY          = var.vpc_cidr
    MONETA_AUDIT_RETENTION_DAYS = tostring(var.audit_retention_days)
    MONETA_SESSION_IDLE_MINUTES = "15"
  }

  moneta_container = {
    name                   = "moneta"
    image                  = var.moneta_image
    essential              = true
    readonlyRootFilesystem = false
    portMappings = [
      { containerPort = local.moneta_port, protocol = "tcp" },
    ]
    environment = [
      for k, v in merge(local.moneta_plain_environment, var.moneta_environment) : { name = k, value = v }
    ]
    secrets = [
      for k, arn in local.moneta_secrets : { name = k, valueFrom = arn }
    ]
    logConfiguration = {
      logDriver = "awslogs"
      options = {
        awslogs-group         = aws_cloudwatch_log_group.moneta.name
        awslogs-region        = local.region
        awslogs-stream-prefix = "moneta"
      }
    }
  }
}

resource "aws_ecs_task_definition" "moneta" {
  family                   = var.name
  requires_compatibilities = ["FARGATE"]
  network_mode             = "awsvpc"
  cpu                      = var.moneta_cpu
  memory                   = var.moneta_memory
  execution_role_arn       = aws_iam_role.execution.arn
  task_role_arn            = aws_iam_role.task.arn
  container_definitions    = jsonencode([local.moneta_container])

  runtime_platform {
    operating_system_family = "LINUX"
    cpu_architecture        = "ARM64"
  }

  tags = local.tags
}

resource "aws_ecs_service" "moneta" {
  name            = var.name
  cluster         = aws_ecs_cluster.moneta.id
  task_definition = aws_ecs_task_definition.moneta.arn
  desired_count   = var.moneta_desired_count
  launch_type     = "FARGATE"

  network_configuration {
    subnets          = module.vpc.private_subnets
    security_groups  = [aws_security_group.app.id]
    assign_public_ip = false
  }

  load_balancer {
    target_group_arn = aws_lb_target_group.moneta.arn
    container_name   = "moneta"
    container_port   = local.moneta_port
  }

  deployment_circuit_breaker {
    enable   = true
    rollback = true
  }

  depends_on = [aws_lb_listener.https]
  tags       = local.tags
}
