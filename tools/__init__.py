"""The command-line tools: lpu-opt and lpu-run."""
