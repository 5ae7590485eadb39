"""Video files: clips read and written with PyAV, frames streamed in chunks (see files.py)."""
