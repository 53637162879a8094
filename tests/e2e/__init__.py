"""Real clients (VS Code, Neovim) driven end to end: their drivers and shared harness."""
