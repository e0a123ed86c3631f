"""Where results are delivered: reports to a Slack webhook or a GitHub tracking issue, the
Action's write-back as a pull request when it cannot push."""
