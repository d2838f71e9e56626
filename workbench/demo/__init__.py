"""The embedded AWS account for live demos and training (moto on loopback)."""

from workbench.demo.scenario import Demo, DemoInfo

__all__ = ["Demo", "DemoInfo"]
