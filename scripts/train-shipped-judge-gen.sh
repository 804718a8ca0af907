#!/usr/bin/env bash
# Reproduces models/rd-rm-xl-gen: models/rd-rm-xl fine-tuned on the shipped generator's own samples.
# 1. `gen pairs`: 500 world prompts x 8 samples of models/rd-gen-t2i, judged by the world oracle;
#    up to 4 (correct, wrong) pairs per prompt; 1144 pairs (1024 train, 120 'id'); about 20 min.
# 2. `rm train --init models/rd-rm-xl`: 300 pointwise steps at lr 1e-4 on those 1024 pairs plus 1000
#    world pairs (2024 in all); about 10 min.
# 3. `rm export --half`, then evaluations: world pairs (500 ID / 500 OOD) and a fresh set of
#    generated pairs from 150 other prompts (seed 2), on which rd-rm-xl itself is judged too.
# Everything runs on one libtorch thread and is seeded; the committed model came from these commands.
# Usage: bash scripts/train-shipped-judge-gen.sh   (from a build: npm run build; RD_WORK=runs/shipped-judge-gen)
set -euo pipefail
cd "$(dirname "$0")/.."
WORK=${RD_WORK:-runs/shipped-judge-gen}
BASE=${RD_BASE:-models/rd-rm-xl}
GEN=${RD_GEN:-models/rd-gen-t2i}
OUT=${RD_OUT:-models/rd-rm-xl-gen}
mkdir -p "$WORK"
node dist/src/cli/main.js gen pairs --model "$GEN" --world 500 --samples 8 --pairs-per-prompt 4 --eval-share 0.1 --seed 1 \
  --threads 1 --out "$WORK/pairs" --json > "$WORK/pairs.json"
node dist/src/cli/main.js rm train --init "$BASE" --paradigm pointwise --context instruction --criteria alignment \
  --data "$WORK/pairs" --world-pairs 1000 --eval-pairs 500 --steps 300 --lr 1e-4 --eval-every 100 --seed 0 --threads 1 \
  --out "$WORK/rm" --resume --json > "$WORK/rm.json"
bash scripts/ship-half.sh "$WORK/rm" "$WORK" "$OUT"
node dist/src/cli/main.js gen pairs --model "$GEN" --world 150 --samples 8 --pairs-per-prompt 4 --eval-share 0 --seed 2 \
  --threads 1 --out "$WORK/pairs-test" --json > "$WORK/pairs-test.json"
node dist/src/cli/main.js rm eval --model "$OUT" --data "$WORK/pairs-test" --split train --threads 1 --json > "$OUT/eval-generated-unseen.json"
bash scripts/eval-check.sh "$OUT"
echo "done: $OUT"
