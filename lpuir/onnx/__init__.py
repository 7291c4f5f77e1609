"""ONNX models in: `import_onnx` converts an ONNX model (a file, bytes or a
ModelProto) into a tensor-level module, func + TOSA 1.0, each op located at
the ONNX node it came from. docs/onnx.md lists the ops and how each converts.

The names load on first use: importing `onnx` takes a second, which lpu-opt
and lpu-run only pay for an ONNX model.
"""

from typing import Any

__all__ = ["TARGET_OPSET", "OnnxImportError", "import_onnx"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        from lpuir.onnx import importer

        return getattr(importer, name)
    raise AttributeError(f"module 'lpuir.onnx' has no attribute '{name}'")
