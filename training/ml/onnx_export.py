"""A saved model folder -> model.onnx beside it (optionally model.int8.onnx, dynamically quantised, with the
margin below which its answers are recomputed by model.onnx), for ONNX Runtime on CPUs: the serving side
loads them when present and falls back to PyTorch when not."""
import json
from pathlib import Path

import torch

from training.ml.runtime import MODEL_CLASSES, read_label_map
from training.ml.serving import INT8_FALLBACK_FILE, INT8_FILE, ONNX_FILE

INPUTS = ("input_ids", "attention_mask", "token_type_ids")


def export_onnx(model_dir, *, quantize=False, calibration_texts=()) -> Path:
    """Export the folder's model (fp32, dynamic batch and length) and return the file Predictor should load.

    quantize: also the int8 copy, served first, with its fallback margin chosen on calibration_texts
    (the run's training texts: labels are not needed, only how far int8 strays from fp32 on them)."""
    model_dir = Path(model_dir)
    if quantize and not calibration_texts:
        raise ValueError("an int8 export needs calibration texts to choose its fallback margin")
    for stale in (INT8_FILE, INT8_FALLBACK_FILE):  # a new export replaces the whole set that serves
        (model_dir / stale).unlink(missing_ok=True)
    task = read_label_map(model_dir)["task"]
    model = MODEL_CLASSES[task].from_pretrained(model_dir, local_files_only=True, dtype=torch.float32).eval()
    example = {name: torch.ones((2, 8), dtype=torch.long) for name in model_inputs(model)}
    batch, length = torch.export.Dim("batch"), torch.export.Dim("length")
    exported = FirstTokenLastLayer(model) if FirstTokenLastLayer.fits(model) else model
    torch.onnx.export(
        exported, (), str(model_dir / ONNX_FILE), kwargs=example, input_names=list(example), output_names=["logits"],
        dynamic_shapes={name: {0: batch, 1: length} for name in example}, dynamo=True, verbose=False,
    )
    if not quantize:
        return model_dir / ONNX_FILE
    import onnx
    from onnxruntime.quantization import QuantType, quantize_dynamic

    # The exporter's stored intermediate shapes can contradict the quantiser's own shape inference (it
    # stops with "Inferred shape and existing shape differ"): drop them and let it infer afresh.
    graph = onnx.load(str(model_dir / ONNX_FILE))
    del graph.graph.value_info[:]
    plain = model_dir / "model.plain.onnx"
    onnx.save(graph, str(plain))
    try:
        # Per-channel scales on the MatMuls alone: on a PriceRunner MiniLM (bench/predict.py) the labels
        # agreed with PyTorch on 99.4% of titles, against 98.2% for per-tensor scales on every op.
        # reduce_range (7-bit weights): x86 CPUs without VNNI multiply uint8 x int8 pairs into int16, which
        # saturates with full-range weights (onnxruntime's quantisation guide); on a second PriceRunner
        # model, measured by CPU time on a loaded machine, 98.8% same labels against 98.0% without it.
        # The labels int8 still moves are answered again in fp32 (predict.Int8Cascade).
        quantize_dynamic(str(plain), str(model_dir / INT8_FILE), weight_type=QuantType.QInt8, per_channel=True,
                         reduce_range=True, op_types_to_quantize=["MatMul"])
    finally:
        plain.unlink(missing_ok=True)
    from training.ml.predict import calibrate_int8_fallback

    calibration = calibrate_int8_fallback(model_dir, list(calibration_texts))
    (model_dir / INT8_FALLBACK_FILE).write_text(json.dumps(calibration, indent=2))
    return model_dir / INT8_FILE


class FirstTokenLastLayer(torch.nn.Module):
    """A BERT sequence classifier whose last layer computes the first ([CLS]) position alone.

    The pooler reads nothing else, so the logits are the same (tests/training/test_ml.py), and the last
    layer's query, attention output and feed-forward work for every other position is skipped: about a
    seventh of a 6-layer MiniLM's work per title (bench/results/predict_cpu.md, 2026-12-01)."""

    def __init__(self, model):
        super().__init__()
        self.model = model

    @staticmethod
    def fits(model) -> bool:
        """A BERT classifier over its pooler (other architectures are exported whole)."""
        return model.config.model_type == "bert" and getattr(getattr(model, "bert", None), "pooler", None) is not None \
            and hasattr(model, "classifier")

    def forward(self, input_ids, attention_mask, token_type_ids):
        bert = self.model.bert
        hidden = bert.embeddings(input_ids=input_ids, token_type_ids=token_type_ids)
        # additive, as transformers' attention functions take a mask: 0 on tokens, the lowest float on padding
        mask = (1.0 - attention_mask[:, None, None, :].to(hidden.dtype)) * torch.finfo(hidden.dtype).min
        *layers, last = bert.encoder.layer
        for layer in layers:
            hidden = layer(hidden, mask)
        attended = last.attention.output(self._first_token_attention(last.attention.self, hidden, mask), hidden[:, :1])
        first = last.output(last.intermediate(attended), attended)
        return self.model.classifier(bert.pooler(first))  # the classifier's dropout is off in eval

    @staticmethod
    def _first_token_attention(attention, hidden, mask):
        """BertSelfAttention with the first position's query alone (keys and values from every position)."""
        def heads(states):
            return states.view(states.shape[0], -1, attention.num_attention_heads, attention.attention_head_size).transpose(1, 2)

        query, key, value = heads(attention.query(hidden[:, :1])), heads(attention.key(hidden)), heads(attention.value(hidden))
        context = torch.nn.functional.scaled_dot_product_attention(query, key, value, attn_mask=mask, scale=attention.scaling)
        return context.transpose(1, 2).reshape(hidden.shape[0], 1, -1)


def model_inputs(model) -> list:
    """The tokenizer outputs this architecture takes (DistilBERT-like models have no token_type_ids)."""
    import inspect

    accepted = inspect.signature(model.forward).parameters
    return [name for name in INPUTS if name in accepted]
