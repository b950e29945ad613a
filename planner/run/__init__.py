"""The planning run: inputs -> allocation -> economics -> P&L, headline and warnings."""
