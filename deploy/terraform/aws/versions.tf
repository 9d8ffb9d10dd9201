terraform {
  # 1.5: `check` blocks and the validation functions used in variables.tf.
  required_version = ">= 1.5.0"

  required_providers {
    aws = {
      source = "hashicorp/aws"
      # 5.62: rotation_period_in_days on aws_kms_key; 5.x: aws_vpc_security_group_*_rule.
      version = ">= 5.62, < 6.0"
    }
    random = {
      source  = "hashicorp/random"
      version = ">= 3.5"
    }
  }
}
