"""The command-line apps: Hydra entry points, config schemas, run directories and figures.

Layer: app. Everything here may import the core and training layers; nothing
below imports this package.
"""
