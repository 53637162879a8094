"""What depends on a CPU's instruction set, one module per architecture."""
