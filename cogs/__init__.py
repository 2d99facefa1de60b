"""Thin Discord adapters: listeners and commands that turn Discord objects into core facts."""
