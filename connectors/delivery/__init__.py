"""Where reports are delivered: a Slack webhook and a GitHub tracking issue."""
