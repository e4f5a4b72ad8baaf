"""Marketing's writes, one module per area (DESIGN §3): segments, campaigns, forms."""
