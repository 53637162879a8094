"""dapcore: open Go core dumps in any Debug Adapter Protocol client."""

__version__ = "0.1.0"
