"""Deterministic, realistic demo data (see ``arterm demo``)."""

from .generate import DemoStats, generate_demo

__all__ = ["DemoStats", "generate_demo"]
