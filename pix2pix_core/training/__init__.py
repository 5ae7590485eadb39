"""Training: paired datasets and presets, the pix2pix objective, the trainer, and evaluation."""
