"""Marketing's reads shared by pages, jobs and reports."""
