# Detection (PCI DSS 11.5.1: intrusion detection; 10.4.1.1: automated log review; 11.3 / 12.4:
# the PCI DSS controls checked continuously): GuardDuty reads the flow logs, DNS logs and
# CloudTrail; Security Hub runs AWS's PCI DSS standard against the account.

resource "aws_guardduty_detector" "main" {
  count = var.enable_guardduty ? 1 : 0

  enable                       = true
  finding_publishing_frequency = "FIFTEEN_MINUTES"
  tags                         = local.tags
}

resource "aws_securityhub_account" "main" {
  count = var.enable_security_hub ? 1 : 0

  enable_default_standards = false
  auto_enable_controls     = true
}

resource "aws_securityhub_standards_subscription" "pci_dss" {
  count = var.enable_security_hub ? 1 : 0

  standards_arn = "arn:${local.partition}:securityhub:${local.region}::standards/pci-dss/v/${var.pci_dss_standard_version}"
  depends_on    = [aws_securityhub_account.main]
}

resource "aws_securityhub_standards_subscription" "foundational" {
  count = var.enable_security_hub ? 1 : 0

  standards_arn = "arn:${local.partition}:securityhub:${local.region}::standards/aws-foundational-security-best-practices/v/1.0.0"
  depends_on    = [aws_securityhub_account.main]
}
