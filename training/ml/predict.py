"""Predictions of a saved model: labels with probabilities, or entity spans with character offsets."""
import numpy as np
import torch
from transformers import AutoTokenizer

from training.ml.datasets import WORD
from training.ml.runtime import MODEL_CLASSES, autocast, read_label_map, resolve_device


class Predictor:
    """Loads a folder written by finetune.train once; predict() may then be called many times.

    backend "auto": ONNX Runtime when the folder has an exported model and the device is the CPU (the fast
    way to serve there), else PyTorch; "onnx" or "torch" to choose (bench/predict.py compares the two).
    """

    def __init__(self, model_dir, device="auto", backend="auto", prefer_int8=True):
        label_map = read_label_map(model_dir)
        self.task, self.label_names, self.max_length = label_map["task"], label_map["label_names"], label_map["max_length"]
        self.device = resolve_device(device)
        self.tokenizer = AutoTokenizer.from_pretrained(model_dir, local_files_only=True)
        if not self.tokenizer.is_fast:
            raise ValueError("Predictor needs a fast tokenizer (word ids and offsets)")
        self.session = self._onnx_session(model_dir, backend, prefer_int8)
        self.backend = "onnx" if self.session is not None else "torch"
        if self.session is None:
            model = MODEL_CLASSES[self.task].from_pretrained(model_dir, local_files_only=True)
            self.model = model.to(self.device).eval()

    def _onnx_session(self, model_dir, backend, prefer_int8):
        if backend == "torch" or (backend == "auto" and self.device.type != "cpu"):
            return None
        from training.ml.onnx_export import onnx_file

        path = onnx_file(model_dir, prefer_int8)
        if path is None:
            if backend == "onnx":
                raise FileNotFoundError(f"{model_dir} has no exported ONNX model")
            return None
        try:
            import onnxruntime
        except ImportError:  # serving still works, at PyTorch's speed
            if backend == "onnx":
                raise
            return None
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = torch.get_num_threads()
        return onnxruntime.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])

    def predict(self, texts, batch_size=32) -> list:
        """[{"label", "score", "scores"}] for a sequence model, [{"spans": [...]}] for a token model."""
        predict_chunk = self._labels if self.task == "sequence" else self._spans
        results = []
        for start in range(0, len(texts), batch_size):
            results.extend(predict_chunk(list(texts[start:start + batch_size])))
        return results

    @torch.no_grad()
    def _probabilities(self, encoding) -> np.ndarray:
        if self.session is not None:
            wanted = {arg.name for arg in self.session.get_inputs()}
            logits = self.session.run(None, {key: value.numpy() for key, value in encoding.items() if key in wanted})[0]
            return torch.from_numpy(logits).float().softmax(dim=-1).numpy()
        inputs = {key: value.to(self.device) for key, value in encoding.items()}
        with autocast(self.device):
            logits = self.model(**inputs).logits
        return logits.float().softmax(dim=-1).cpu().numpy()

    def _labels(self, texts) -> list:
        encoding = self.tokenizer(texts, truncation=True, max_length=self.max_length, padding=True, return_tensors="pt")
        results = []
        for row in self._probabilities(encoding):
            best = int(row.argmax())
            scores = {name: float(p) for name, p in zip(self.label_names, row)}
            results.append({"label": self.label_names[best], "score": float(row[best]), "scores": scores})
        return results

    def _spans(self, texts) -> list:
        """Tag each whitespace word by its first sub-token, as in training, then merge B/I words into spans.

        Words come from the same whitespace split the training data used, so their character offsets
        in the original text are exact whatever the spacing; words past max_length get no tag.
        """
        words = [list(WORD.finditer(text)) for text in texts]
        worded = [i for i, matches in enumerate(words) if matches]
        results = [{"spans": []} for _ in texts]
        if not worded:
            return results
        encoding = self.tokenizer(
            [[match.group() for match in words[i]] for i in worded],
            is_split_into_words=True, truncation=True, max_length=self.max_length, padding=True, return_tensors="pt",
        )
        probabilities = self._probabilities(encoding)
        for row, i in enumerate(worded):
            tags, scores = self._word_predictions(encoding.word_ids(row), probabilities[row])
            results[i]["spans"] = merge_word_tags(words[i], tags, scores)
        return results

    def _word_predictions(self, word_ids, probabilities) -> tuple:
        """{word index: tag name}, {word index: its probability}, from each word's first sub-token."""
        tags, scores = {}, {}
        for position, word in enumerate(word_ids):
            if word is not None and word not in tags:
                best = int(probabilities[position].argmax())
                tags[word], scores[word] = self.label_names[best], float(probabilities[position][best])
        return tags, scores


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
