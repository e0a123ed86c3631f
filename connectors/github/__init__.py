"""The GitHub connector and the body of the issues it creates."""
