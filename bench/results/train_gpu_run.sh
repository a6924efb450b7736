#!/usr/bin/env bash
# GPU check for issue 19 point 4: bench/train.py with the real MiniLM weights, bf16 against fp32.
set -uo pipefail
cd "$(dirname "$0")/.."
export PYTHONUNBUFFERED=1 HF_HUB_OFFLINE=1 TOKENIZERS_PARALLELISM=false OMP_NUM_THREADS=4
python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .gpu/whl/*.whl || exit 1
export PYTHONPATH=/tmp/site:$PWD/.gpu/site:$PWD
nvidia-smi -L
python3 - <<'PY'
import torch, transformers, accelerate, datasets
print("torch", torch.__version__, "transformers", transformers.__version__, "accelerate", accelerate.__version__,
      "datasets", datasets.__version__, "cuda", torch.cuda.is_available(), torch.cuda.get_device_name(0))
# The weights travel in half precision (the 64 MiB limit); the model folder gets them back in fp32, as packaged.
import shutil, pathlib
from safetensors.torch import load_file, save_file
src, dst = pathlib.Path(".gpu/minilm"), pathlib.Path("/tmp/minilm")
shutil.copytree(src, dst, dirs_exist_ok=True)
save_file({k: v.float() for k, v in load_file(src / "model.safetensors").items()}, dst / "model.safetensors",
          metadata={"format": "pt"})
print("weights restored to fp32")
PY
DATA=.gpu/shared/datasets/ecommerce
for precision in bf16 fp32; do
  echo "== default sizes, $precision"
  python3 bench/train.py --device cuda --precision $precision --engines trainer --base-model /tmp/minilm \
    --data-root $DATA 2>&1 | tee $OUT/train_$precision.log | tail -4
done
echo "== full QueryNER train set (7,841 queries), bf16 and fp32"
for precision in bf16 fp32; do
  python3 bench/train.py --device cuda --precision $precision --engines trainer --base-model /tmp/minilm \
    --data-root $DATA --only ner --queries 7841 2>&1 | tee $OUT/train_ner_full_$precision.log | tail -2
done
