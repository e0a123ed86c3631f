"""Text to items: values (statuses, dates, owners, tickets), metadata, table and list items, discovery."""
