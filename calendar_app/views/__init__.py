"""The calendar's pages and endpoints, one module per area."""
