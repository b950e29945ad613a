"""What a run shows and writes: terminal tables, result files, exports, atomic directories."""
