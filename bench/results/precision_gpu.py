# Training steps/s of BERT-shaped classifiers (random weights) in fp32 and under bf16 autocast on one GPU.
import time

import torch
from transformers import BertConfig, BertForSequenceClassification
SIZES = {"MiniLM-L6 h384": (384, 6, 12), "BERT-base h768": (768, 12, 12), "BERT-large h1024": (1024, 24, 16)}
SHAPES = ((32, 32), (32, 128), (128, 128))  # (batch, tokens)
def rate(size, batch, length, precision, steps=10):
    hidden, layers, heads = SIZES[size]
    torch.manual_seed(0)
    config = BertConfig(hidden_size=hidden, num_hidden_layers=layers, num_attention_heads=heads, intermediate_size=4 * hidden,
                        num_labels=10)
    with torch.device("cuda"):  # initialised on the GPU: BERT-large's weights take seconds on the CPU
        model = BertForSequenceClassification(config).train()
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-5)
    ids = torch.randint(1000, 30000, (batch, length), device="cuda")
    labels = torch.randint(0, 10, (batch,), device="cuda")
    def step():
        with torch.autocast("cuda", dtype=torch.bfloat16, enabled=precision == "bf16"):
            loss = model(input_ids=ids, attention_mask=torch.ones_like(ids), labels=labels).loss
        loss.backward()
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)
    for _ in range(3):
        step()
    torch.cuda.synchronize()
    started = time.perf_counter()
    for _ in range(steps):
        step()
    torch.cuda.synchronize()
    return batch * steps / (time.perf_counter() - started)
print(torch.__version__, torch.cuda.get_device_name(0), "tf32 matmul:", torch.backends.cuda.matmul.allow_tf32)
torch.randn(4096, 4096, device="cuda") @ torch.randn(4096, 4096, device="cuda")  # CUDA start-up outside the timings
for size in SIZES:
    for batch, length in SHAPES:
        figures = {p: [] for p in ("fp32", "bf16")}
        for precision in ("fp32", "bf16", "fp32", "bf16"):  # alternated: neither gets the warmer GPU
            figures[precision].append(rate(size, batch, length, precision))
        fp32, bf16 = (max(v) for v in figures.values())
        print(f"| {size} | {batch} x {length} | {fp32:.0f} | {bf16:.0f} | {bf16 / fp32:.2f} |", flush=True)
