"""The Jira connector (Cloud and Server/Data Center) and its doctor checks."""
