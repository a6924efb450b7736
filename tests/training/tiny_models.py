"""A tiny local BERT to start runs from, and a project of accepted labels (the fixtures `tiny_base_model` and
`category_project` in tests/conftest.py make them; the training and two-worker tests use them)."""

import os
import random

from quality.models import DecisionSource, ItemDecision
from tasks.models import ItemState, ProjectStatus
from tests.tasks.factories import ItemFactory, ProjectFactory
from training import services

WORDS = {"phone": ["phone", "smartphone", "iphone"], "tv": ["tv", "television", "oled"], "fridge": ["fridge", "freezer"]}
FILLERS = ["cheap", "new", "red", "blue", "big", "small", "with", "case"]
VOCAB = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", *FILLERS, *[w for ws in WORDS.values() for w in ws]]


def tiny_base_model_save(folder, vocab=VOCAB) -> str:
    """A 2-layer BERT and its tokenizer (a word per token: `vocab`, special tokens first) saved as a local model
    folder: what a run starts from in tests."""
    import torch
    from transformers import BertConfig, BertModel, BertTokenizer

    torch.manual_seed(0)
    config = BertConfig(vocab_size=len(vocab), hidden_size=64, num_hidden_layers=2, num_attention_heads=2,
                        intermediate_size=128, max_position_embeddings=64)
    BertModel(config).save_pretrained(folder)  # a base model without a head, like the packaged MiniLM
    BertTokenizer(vocab={word: index for index, word in enumerate(vocab)}).save_pretrained(folder)
    return str(folder)


def vocabulary_of(texts) -> list[str]:
    """The special tokens, then every word of `texts` as an uncased BERT tokenizer normalises and splits them."""
    from tokenizers.normalizers import BertNormalizer
    from tokenizers.pre_tokenizers import BertPreTokenizer

    normaliser, splitter = BertNormalizer(lowercase=True), BertPreTokenizer()
    words = {word for text in texts for word, _ in splitter.pre_tokenize_str(normaliser.normalize_str(text))}
    return [*VOCAB[:5], *sorted(words - set(VOCAB[:5]))]


def process_alive(pid) -> bool:
    """Whether a process (a run's torchrun agent, say) is still there."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def accepted(project, data, label):
    item = ItemFactory(project=project, data=data, state=ItemState.ACCEPTED)
    ItemDecision.objects.create(item=item, project=project, label=label, confidence=0.99,
                                source=DecisionSource.INFERRED, method="test", answers_count=3)
    return item


def category_project_create():
    """60 accepted titles of three categories, in which only the product word predicts the label."""
    project = ProjectFactory(status=ProjectStatus.PUBLISHED, labels=list(WORDS))
    rng = random.Random(5)
    for n in range(60):
        label = list(WORDS)[n % 3]
        word = WORDS[label][(n // 3) % len(WORDS[label])]  # every product word appears in training
        # The product word at a random place among random fillers: only the product word predicts the label.
        words = [rng.choice(FILLERS), word, rng.choice(FILLERS)]
        rng.shuffle(words)
        accepted(project, {"title": " ".join(words)}, label)
    return project


def launch(project, base, on_commit, **extra):
    params = {"base_model": base, "epochs": 20, "batch_size": 8, "max_length": 16, "learning_rate": 3e-3, "device": "cpu"}
    with on_commit(execute=True):
        run = services.training_run_launch(project=project, **(params | extra))
    run.refresh_from_db()
    return run
