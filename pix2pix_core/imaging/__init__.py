"""Images themselves: files <-> tensors, CIE Lab, and edge maps (Canny, XDoG, HED)."""
