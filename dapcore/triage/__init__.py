"""Triage of a whole process: goroutine groups, leak and blocking analysis (issue #17)."""
