#!/usr/bin/env bash
# Ships a trained reward checkpoint as float16: `rm export --half` into WORK/export, then its config
# and weights copied into OUT (other files there, such as its README, are kept) and evaluated on
# 500 world pairs per split (OUT/eval-id.json, OUT/eval-ood.json). Used by train-shipped-judge*.sh.
# Usage: bash scripts/ship-half.sh CHECKPOINT WORK OUT   (from a build: npm run build)
set -euo pipefail
cd "$(dirname "$0")/.."
SRC=${1:?usage: bash scripts/ship-half.sh CHECKPOINT WORK OUT}
WORK=${2:?usage: bash scripts/ship-half.sh CHECKPOINT WORK OUT}
OUT=${3:?usage: bash scripts/ship-half.sh CHECKPOINT WORK OUT}
rm -rf "$WORK/export"
node dist/src/cli/main.js rm export --model "$SRC" --out "$WORK/export" --half
mkdir -p "$OUT"
cp "$WORK/export/config.json" "$WORK/export/model.safetensors" "$OUT/"
for split in id ood; do
  node dist/src/cli/main.js rm eval --model "$OUT" --split "$split" --pairs 500 --threads 1 --json > "$OUT/eval-$split.json"
done
