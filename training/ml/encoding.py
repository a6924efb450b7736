"""Dataset rows -> model inputs: tokenised texts, labels aligned to sub-tokens, padded batches."""
import torch

IGNORED = -100  # the label cross-entropy skips: padding and every sub-token after a word's first
PADDING = {"input_ids": None, "attention_mask": 0, "token_type_ids": 0, "labels": IGNORED}


def encode_split(rows, tokenizer, task, max_length) -> list:
    """One dict of unpadded inputs per row; padding waits for the batch, so short batches stay short."""
    if len(rows) == 0:
        return []
    if task == "sequence":
        encoding = tokenizer(list(rows["text"]), truncation=True, max_length=max_length)
        return [_example(encoding, i, labels=label) for i, label in enumerate(rows["label"])]
    encoding = tokenizer(list(rows["tokens"]), is_split_into_words=True, truncation=True, max_length=max_length)
    examples = []
    for i, word_tags in enumerate(rows["ner_tags"]):
        labels, word_index = align_word_labels(encoding.word_ids(i), word_tags)
        examples.append(_example(encoding, i, labels=labels, word_index=word_index))
    return examples


def align_word_labels(word_ids, word_tags) -> tuple:
    """Label the first sub-token of each word and ignore the rest (and the special tokens).

    Returns (labels per sub-token, the word index of each labelled sub-token in order); the second lets
    evaluation put predictions back on words even when a word lost all its sub-tokens to truncation.
    """
    labels = [IGNORED] * len(word_ids)
    firsts = first_sub_tokens(word_ids)
    for position in firsts:
        labels[position] = word_tags[word_ids[position]]
    return labels, [word_ids[position] for position in firsts]


def first_sub_tokens(word_ids) -> list:
    """Positions of each word's first sub-token (word_ids: the tokenizer's word index per position, None for
    the special tokens): where a word's tag is learnt in training and read in predictions."""
    seen, positions = set(), []
    for position, word in enumerate(word_ids):
        if word is not None and word not in seen:
            seen.add(word)
            positions.append(position)
    return positions


def pad_batch(examples, pad_token_id) -> dict:
    """Right-pad a list of encoded examples into tensors; keys outside PADDING (word_index) stay behind."""
    width = max(len(example["input_ids"]) for example in examples)
    batch = {}
    for key, filler in PADDING.items():
        if key not in examples[0]:
            continue
        values = [example[key] for example in examples]
        if not isinstance(values[0], list):  # one label per text
            batch[key] = torch.tensor(values)
            continue
        filler = pad_token_id if filler is None else filler
        batch[key] = torch.tensor([value + [filler] * (width - len(value)) for value in values])
    return batch


def _example(encoding, i, **extra) -> dict:
    example = {key: encoding[key][i] for key in ("input_ids", "attention_mask", "token_type_ids") if key in encoding}
    return {**example, **extra}
