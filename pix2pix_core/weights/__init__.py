"""Weights on disk and on the Hub: safe file reading, architecture inference, config.json, our directory format,
the model card, Hub downloads and uploads, the catalogue, and the loaders."""
