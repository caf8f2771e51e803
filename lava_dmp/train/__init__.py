"""Training DMP networks with PyTorch / lava-dl (imports torch)."""
