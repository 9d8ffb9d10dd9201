# Example root module: Moneta in eu-west-1, PCI DSS-ready.
#
#   terraform init && terraform apply \
#     -var certificate_arn=arn:aws:acm:eu-west-1:111122223333:certificate/... \
#     -var moneta_image=ghcr.io/example/moneta@sha256:...
#
# The state holds the Redis AUTH token: keep it in an encrypted, access-controlled backend, e.g.
#
#   backend "s3" {
#     bucket       = "example-terraform-state"
#     key          = "moneta/prod.tfstate"
#     region       = "eu-west-1"
#     encrypt      = true
#     kms_key_id   = "alias/terraform-state"
#     use_lockfile = true
#   }

terraform {
  required_version = ">= 1.5.0"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 5.62, < 6.0"
    }
  }
}

provider "aws" {
  region = var.region

  default_tags {
    tags = {
      application = "moneta"
      environment = "production"
    }
  }
}

variable "region" {
  description = "AWS region to deploy into."
  type        = string
  default     = "eu-west-1"
}

variable "certificate_arn" {
  description = "ACM certificate for moneta.example.com in that region."
  type        = string
}

variable "moneta_image" {
  description = "Moneta image pinned by digest."
  type        = string
}

module "moneta" {
  source = "../.."

  name            = "moneta-prod"
  azs             = ["${var.region}a", "${var.region}b", "${var.region}c"]
  certificate_arn = var.certificate_arn
  public_url      = "https://moneta.example.com"
  moneta_image    = var.moneta_image

  # Operators reach the console from the office and the VPN only.
  allowed_ingress_cidrs = ["203.0.113.0/24", "198.51.100.0/24"]

  moneta_environment = {
    MONETA_CASES_SLA_HOURS = "screening=24,monitoring=48"
  }

  tags = {
    owner = "payments-platform"
  }
}

output "url" {
  description = "Where Moneta answers."
  value       = module.moneta.url
}

output "alb_dns_name" {
  description = "Point moneta.example.com at this."
  value       = module.moneta.alb_dns_name
}

output "master_key_secret_arn" {
  description = "Put MONETA_MASTER_KEY here before the first start."
  value       = module.moneta.master_key_secret_arn
}

output "database_url_secret_arn" {
  description = "Put Moneta's DATABASE_URL here before the first start."
  value       = module.moneta.database_url_secret_arn
}
