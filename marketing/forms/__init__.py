"""Marketing's forms, one module per area (campaigns, ...). They validate input; services decide."""
