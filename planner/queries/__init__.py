"""Questions asked of plans: when, per-task economics, sizing, price curves, servable."""
