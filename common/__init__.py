"""The shared leaf under the domain packages: quarters and the strict schema base."""
