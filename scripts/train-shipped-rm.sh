#!/usr/bin/env bash
# Reproduces models/rd-rm-tiny: pretrain the rd-m VLM on world captions and visual questions
# (grounded: image tokens also name the object under them), then fine-tune it as a generative
# pairwise reward model on world t2i alignment pairs, and record its evaluation beside it.
# About 15 + 35 minutes on this 2-core machine; a killed run continues where it stopped when
# started again (both stages --resume, which follows the uninterrupted loss curve).
# Usage: bash scripts/train-shipped-rm.sh [PRETRAIN_STEPS] [RM_STEPS]
set -euo pipefail
cd "$(dirname "$0")/.."
PRE_STEPS=${1:-2000}
RM_STEPS=${2:-1500}
WORK=${RD_WORK:-runs/shipped-rm}
mkdir -p "$WORK"
MIX=${RD_MIX:---mix pointwise}
node dist/src/cli/main.js vlm pretrain --preset rd-m --out "$WORK/pretrained" --steps "$PRE_STEPS" --lr 2e-3 --items 20000 --seed 0 \
  --media-role-std 0 --resume
node dist/src/cli/main.js vlm eval --model "$WORK/pretrained" --json > "$WORK/pretrained-vqa.json"
# the media role table joins at fine-tuning (--media-role-std 0.3), as in the run that made the shipped model
node dist/src/cli/main.js rm train --init "$WORK/pretrained" --media-role-std 0.3 --paradigm pairwise --context instruction \
  --criteria alignment --pairs 20000 --eval-pairs 300 --steps "$RM_STEPS" --lr 3e-4 --eval-every 250 --seed 0 $MIX --out "$WORK/rm" --resume
mkdir -p models/rd-rm-tiny
cp "$WORK/rm/config.json" "$WORK/rm/model.safetensors" models/rd-rm-tiny/
cp "$WORK/pretrained-vqa.json" models/rd-rm-tiny/pretrained-vqa.json
for split in id ood; do
  node dist/src/cli/main.js rm eval --model models/rd-rm-tiny --split "$split" --pairs 500 --json > "models/rd-rm-tiny/eval-$split.json"
done
# the numbers test/e2e/shipped-rm.test.ts re-checks
bash scripts/eval-check.sh models/rd-rm-tiny
echo "done: models/rd-rm-tiny"
