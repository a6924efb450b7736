"""Predictions of a saved model: labels with probabilities, or entity spans with character offsets."""
from pathlib import Path

import numpy as np
import torch
from transformers import AutoTokenizer

from training.ml.datasets import WORD
from training.ml.encoding import first_sub_tokens
from training.ml.runtime import MODEL_CLASSES, autocast, read_label_map, resolve_device

# At most this many texts go through the model at once, a request's texts ordered by token length first
# (Predictor._batched): a batch is padded to its longest text, so mixed lengths compute on padding. Of 8, 16
# and 32 on requests of 64 titles, 16 was the fastest for PyTorch and as fast as 8 for int8 ONNX
# (bench/results/predict_cpu.md, 2026-12-01).
SUB_BATCH = 16


class Predictor:
    """Loads a folder written by finetune.train once; predict() may then be called many times.

    backend "auto": ONNX Runtime when the folder has an exported model and the device is the CPU (the fast
    way to serve there), else PyTorch; "onnx" or "torch" to choose (bench/predict.py compares the two).
    On ONNX Runtime the int8 file is served when there is one and prefer_int8, with its fp32 twin for the
    texts it is unsure of (Int8Cascade). length_sorted=False runs a request's texts in the caller's order
    (what every backend did before: the bench's "before").
    """

    def __init__(self, model_dir, device="auto", backend="auto", prefer_int8=True, length_sorted=True):
        label_map = read_label_map(model_dir)
        self.task, self.label_names, self.max_length = label_map["task"], label_map["label_names"], label_map["max_length"]
        self.device = resolve_device(device)
        self.length_sorted = length_sorted
        self.tokenizer = AutoTokenizer.from_pretrained(model_dir, local_files_only=True)
        if not self.tokenizer.is_fast:
            raise ValueError("Predictor needs a fast tokenizer (word ids and offsets)")
        self.model = self._onnx_model(model_dir, backend, prefer_int8)
        self.backend = "onnx" if self.model is not None else "torch"
        # which serves, as the prediction API and the admin name it (serving.BACKENDS)
        self.serving = "onnx-int8" if isinstance(self.model, Int8Cascade) else self.backend
        if self.model is None:
            self.model = TorchModel(MODEL_CLASSES[self.task].from_pretrained(model_dir, local_files_only=True), self.device)

    def _onnx_model(self, model_dir, backend, prefer_int8):
        if backend == "torch" or (backend == "auto" and self.device.type != "cpu"):
            return None
        from training.ml.serving import onnx_files

        files = onnx_files(model_dir, prefer_int8)
        if files is None:
            if backend == "onnx":
                raise FileNotFoundError(f"{model_dir} has no exported ONNX model")
            return None
        try:
            import onnxruntime  # noqa: F401
        except ImportError:  # serving still works, at PyTorch's speed
            if backend == "onnx":
                raise
            return None
        return Int8Cascade(*files) if len(files) == 3 else OnnxModel(files[0])

    def predict(self, texts, batch_size=SUB_BATCH) -> list:
        """[{"label", "score", "scores"}] for a sequence model, [{"spans": [...]}] for a token model, in the
        order of texts; the model sees at most batch_size texts at once."""
        texts = list(texts)
        return self._labels(texts, batch_size) if self.task == "sequence" else self._spans(texts, batch_size)

    def _labels(self, texts, batch_size) -> list:
        results = []
        for row in self._probabilities(*self._encode(texts), batch_size):
            best = int(row.argmax())
            scores = {name: float(p) for name, p in zip(self.label_names, row)}
            results.append({"label": self.label_names[best], "score": float(row[best]), "scores": scores})
        return results

    def _spans(self, texts, batch_size) -> list:
        """Tag each whitespace word by its first sub-token, as in training, then merge B/I words into spans.

        Words come from the same whitespace split the training data used, so their character offsets
        in the original text are exact whatever the spacing; words past max_length get no tag.
        """
        words = [list(WORD.finditer(text)) for text in texts]
        worded = [i for i, matches in enumerate(words) if matches]
        results = [{"spans": []} for _ in texts]
        encoding, read = self._encode([[match.group() for match in words[i]] for i in worded])
        probabilities = self._probabilities(encoding, read, batch_size)
        for row, i in enumerate(worded):
            tags, scores = self._word_predictions(encoding.word_ids(row), probabilities[row])
            results[i]["spans"] = merge_word_tags(words[i], tags, scores)
        return results

    def _encode(self, texts) -> tuple:
        """(encoding, read) of texts (a token model's: word lists), padded to the longest; read marks the
        positions whose predictions are used, each word's first sub-token (None for a sequence model)."""
        if not texts:
            return None, None
        words = self.task == "token"
        encoding = self.tokenizer(texts, is_split_into_words=words, truncation=True, max_length=self.max_length,
                                  padding=True, return_tensors="np")
        if not words:
            return encoding, None
        read = np.zeros(encoding["input_ids"].shape, dtype=bool)
        for row in range(len(texts)):
            read[row, first_sub_tokens(encoding.word_ids(row))] = True
        return encoding, read

    def _probabilities(self, encoding, read, batch_size, model=None) -> np.ndarray:
        """Softmax over labels for each row of encoding, (rows, labels) or (rows, positions, labels).

        Under the int8 cascade, the rows int8 is unsure of are answered again by the fp32 model, all of a
        request's together (fewer, fuller batches than one call per batch)."""
        if encoding is None:
            return np.zeros((0, len(self.label_names)), dtype=np.float32)
        model = model or self.model
        arrays = {key: np.asarray(value, dtype=np.int64) for key, value in encoding.items()}
        rows = np.arange(len(arrays["input_ids"]))
        if not isinstance(model, Int8Cascade):
            return self._batched(model, arrays, read, rows, batch_size)
        answers = self._batched(model.int8, arrays, read, rows, batch_size)
        unsure = np.flatnonzero(decision_margins(answers, read) < model.fallback_margin)
        model.answered, model.recomputed = model.answered + len(rows), model.recomputed + len(unsure)
        if len(unsure):
            answers[unsure] = self._batched(model.fp32, arrays, read, unsure, batch_size)
        return answers

    def _batched(self, model, arrays, read, rows, batch_size) -> np.ndarray:
        """model's answers for rows (indices into arrays), batch_size at a time, shortest first when
        length_sorted, each batch cut to its own longest row: texts of similar length pad little, and a
        small batch's intermediate tensors stay in the CPU's caches."""
        lengths = arrays["attention_mask"][rows].sum(axis=1)
        positions = np.argsort(lengths, kind="stable") if self.length_sorted else np.arange(len(rows))
        answers = None
        for start in range(0, len(positions), batch_size):
            batch = positions[start:start + batch_size]
            width = int(lengths[batch].max())
            part = model.probabilities({key: value[rows[batch], :width] for key, value in arrays.items()},
                                       None if read is None else read[rows[batch], :width])
            if answers is None:  # (rows, labels), or (rows, positions, labels) for a token model
                answers = np.zeros((len(rows), *arrays["input_ids"].shape[1:part.ndim - 1], part.shape[-1]), np.float32)
            answers[(batch, slice(0, width)) if part.ndim == 3 else batch] = part
        return answers

    def _word_predictions(self, word_ids, probabilities) -> tuple:
        """{word index: tag name}, {word index: its probability}, from each word's first sub-token."""
        tags, scores = {}, {}
        for position in first_sub_tokens(word_ids):
            best = int(probabilities[position].argmax())
            tags[word_ids[position]], scores[word_ids[position]] = self.label_names[best], float(probabilities[position][best])
        return tags, scores


class TorchModel:
    """The saved model on PyTorch (on a GPU when asked), mixed precision there."""

    def __init__(self, model, device):
        self.model, self.device = model.to(device).eval(), device

    @torch.no_grad()
    def probabilities(self, arrays, read=None) -> np.ndarray:
        inputs = {key: torch.from_numpy(value).to(self.device) for key, value in arrays.items()}
        with autocast(self.device):
            logits = self.model(**inputs).logits
        return logits.float().softmax(dim=-1).cpu().numpy()


class OnnxModel:
    """One exported file on ONNX Runtime, as many threads as torch (OMP_NUM_THREADS on a shared CPU)."""

    # onnxruntime's SkipLayerNormalization CPU kernel (1.31) takes 0.7 ms on 16 x 18 x 384 floats where its
    # Add and LayerNormalization take 0.13 ms: left unfused, the int8 MiniLM answers 20-30% more texts per
    # CPU second (bench/results/predict_cpu.md, 2026-12-01).
    UNFUSED = ["SkipLayerNormFusion"]

    def __init__(self, path):
        import onnxruntime

        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = torch.get_num_threads()
        self.path = str(path)
        self.session = onnxruntime.InferenceSession(self.path, options, providers=["CPUExecutionProvider"],
                                                    disabled_optimizers=self.UNFUSED)
        self.inputs = {arg.name for arg in self.session.get_inputs()}

    def probabilities(self, arrays, read=None) -> np.ndarray:
        logits = self.session.run(None, {key: value for key, value in arrays.items() if key in self.inputs})[0]
        return torch.from_numpy(logits).float().softmax(dim=-1).numpy()


class Int8Cascade:
    """The int8 model answers; the texts whose int8 decision margin (top-1 minus top-2 probability; for a
    token model the smallest over its words) is below fallback_margin are answered again by the fp32 model
    (Predictor._probabilities).

    int8 moves probabilities a little, so it can only change a label whose margin is small; the margin
    was chosen at export on the run's own texts (calibrate_int8_fallback). The share of texts recomputed
    is the cascade's cost (bench/predict.py reports it)."""

    def __init__(self, int8_path, fp32_path, fallback_margin):
        self.int8, self.fp32, self.fallback_margin = OnnxModel(int8_path), OnnxModel(fp32_path), fallback_margin
        self.path = self.int8.path
        self.answered = self.recomputed = 0  # texts seen and texts sent to fp32


def decision_margins(probabilities, read=None) -> np.ndarray:
    """Top-1 minus top-2 probability per text; for (texts, positions, labels), the smallest over the read
    positions (a text with none read has nothing to decide: infinite margin)."""
    top_two = np.partition(probabilities, -2, axis=-1)[..., -2:]
    margins = top_two[..., 1] - top_two[..., 0]
    if margins.ndim == 1:
        return margins
    return np.where(read, margins, np.inf).min(axis=1)


# The fallback margin is twice this quantile of the largest probability change int8 makes on a calibration
# text: a label can change only where the margin is at most twice that change (bench/results/predict_cpu.md).
CALIBRATION_QUANTILE = 0.99


def calibrate_int8_fallback(model_dir, texts) -> dict:
    """The cascade's fallback margin, from texts of the run (its training texts; no labels needed): both
    exported files answer them as served, and the margin covers the probability changes int8 makes on
    CALIBRATION_QUANTILE of them. What was seen is returned with it, for the model folder's record."""
    from training.ml.serving import INT8_FILE

    predictor = Predictor(model_dir, device="cpu", backend="onnx", prefer_int8=False)
    encoding, read = predictor._encode(texts if predictor.task == "sequence" else [WORD.findall(t) for t in texts if t.split()])
    exact = predictor._probabilities(encoding, read, SUB_BATCH)
    quick = predictor._probabilities(encoding, read, SUB_BATCH, model=OnnxModel(Path(model_dir) / INT8_FILE))
    changes = np.abs(quick - exact).max(axis=-1)
    changed = quick.argmax(axis=-1) != exact.argmax(axis=-1)
    if read is not None:  # a token model: its words' positions
        changes, changed = np.where(read, changes, 0).max(axis=1), (changed & read).any(axis=1)
    margin = 2 * float(np.quantile(changes, CALIBRATION_QUANTILE))
    return {"fallback_margin": margin, "calibration_texts": len(changes), "quantile": CALIBRATION_QUANTILE,
            "int8_label_changes": int(changed.sum()), "recomputed_share": float(np.mean(decision_margins(quick, read) < margin))}


def merge_word_tags(word_matches, tags, scores) -> list:
    """Consecutive B-x, I-x, ... words -> one span {"start", "end", "label", "score" (mean over its words)}.

    An I-x that does not continue an x span opens one, as seqeval's default reading does; a word with no
    tag (truncated away) closes any open span.
    """
    spans, current = [], None
    for index, match in enumerate(word_matches):
        tag = tags.get(index, "O")
        if tag == "O":
            current = None
            continue
        prefix, kind = tag.split("-", 1)
        if prefix == "I" and current is not None and current["label"] == kind:
            current["end"] = match.end()
            current["word_scores"].append(scores[index])
            continue
        current = {"start": match.start(), "end": match.end(), "label": kind, "word_scores": [scores[index]]}
        spans.append(current)
    return [
        {"start": s["start"], "end": s["end"], "label": s["label"], "score": float(np.mean(s["word_scores"]))}
        for s in spans
    ]
