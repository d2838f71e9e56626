"""Lease Workbench: short-lived AWS credentials from one operator's terminal."""

__version__ = "0.1.0"
