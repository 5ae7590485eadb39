"""Export: the whole translation contract as an ONNX file, and ONNX Runtime to run such files."""
