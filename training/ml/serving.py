"""Which files of a model folder serve predictions, read without importing torch or onnxruntime: the
Predictor loads them (predict.py), and the admin says which backend a version is served by."""
import json
from importlib.util import find_spec
from pathlib import Path

ONNX_FILE = "model.onnx"
INT8_FILE = "model.int8.onnx"
INT8_FALLBACK_FILE = "model.int8.json"  # the cascade's fallback margin and how it was chosen
BACKENDS = {
    "onnx-int8": "ONNX Runtime, int8 (the fp32 copy answers the texts it is unsure of)",
    "onnx": "ONNX Runtime (fp32)",
    "torch": "PyTorch (no ONNX export, or no onnxruntime installed)",
}


def onnx_files(model_dir, prefer_int8=True) -> tuple | None:
    """What to serve: (int8 file, fp32 file, fallback margin) for the cascade when asked and exported,
    else (fp32 file,); None when the folder has no export. An int8 file without its margin (exported
    before the cascade) is not served: its labels were not kept within reach of fp32's."""
    model_dir = Path(model_dir)
    if prefer_int8 and (model_dir / INT8_FILE).exists() and (model_dir / INT8_FALLBACK_FILE).exists():
        margin = json.loads((model_dir / INT8_FALLBACK_FILE).read_text())["fallback_margin"]
        return model_dir / INT8_FILE, model_dir / ONNX_FILE, margin
    if (model_dir / ONNX_FILE).exists():
        return (model_dir / ONNX_FILE,)
    return None


def cpu_backend(model_dir, prefer_int8=True) -> str:
    """The key of BACKENDS that serves the folder on a CPU host (Predictor's backend "auto")."""
    files = onnx_files(model_dir, prefer_int8) if find_spec("onnxruntime") is not None else None
    if files is None:
        return "torch"
    return "onnx-int8" if len(files) == 3 else "onnx"
