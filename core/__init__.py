"""Shared helpers at the bottom of the layers: nothing here imports an app of the project."""
