#!/usr/bin/env bash
# Reproduces models/rd-rm-verifier: the pointwise generative reward model (a cheap verifier: no
# reference image). Pretrain the rd-s VLM on world captions and visual questions (grounded), then
# fine-tune it on world t2i alignment pairs as [instruction, prompt, candidate] -> P("yes"), with a
# Bradley-Terry loss on the yes-no logit margin plus cross-entropy on the answers; record its
# evaluation beside it. The PyTorch twin of this recipe (docs/results/rm-ladder-twin-2026-11-27)
# reached 80% / 63% (ID / OOD) after 1500 fine-tuning steps and 83% / 66% after 3000 (on a longer schedule). A killed run continues with --resume.
# Usage: bash scripts/train-shipped-verifier.sh [PRETRAIN_STEPS] [RM_STEPS] [THREADS]
set -euo pipefail
cd "$(dirname "$0")/.."
PRE_STEPS=${1:-3000}
RM_STEPS=${2:-1500}
THREADS=${3:-2}
WORK=${RD_WORK:-runs/shipped-verifier}
OUT=models/rd-rm-verifier
mkdir -p "$WORK"
node dist/src/cli/main.js vlm pretrain --preset rd-s --out "$WORK/pretrained" --steps "$PRE_STEPS" --lr 2e-3 --items 20000 --seed 0 \
  --media-role-std 0 --threads "$THREADS" --resume
node dist/src/cli/main.js vlm eval --model "$WORK/pretrained" --json > "$WORK/pretrained-vqa.json"
node dist/src/cli/main.js rm train --init "$WORK/pretrained" --media-role-std 0.3 --paradigm pointwise --context instruction \
  --criteria alignment --pairs 20000 --eval-pairs 300 --steps "$RM_STEPS" --lr 3e-4 --eval-every 500 --seed 0 --threads "$THREADS" \
  --out "$WORK/rm" --resume
mkdir -p "$OUT"
cp "$WORK/rm/config.json" "$WORK/rm/model.safetensors" "$OUT/"
cp "$WORK/pretrained-vqa.json" "$OUT/pretrained-vqa.json"
for split in id ood; do
  node dist/src/cli/main.js rm eval --model "$OUT" --split "$split" --pairs 500 --json > "$OUT/eval-$split.json"
done
bash scripts/eval-check.sh "$OUT"
echo "done: $OUT"
