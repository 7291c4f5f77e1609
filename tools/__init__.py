"""The command-line tools: lpu-opt, lpu-run and lpu-generate."""
