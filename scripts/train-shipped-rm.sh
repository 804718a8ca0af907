#!/usr/bin/env bash
# Reproduces models/rd-rm-tiny: pretrain the rd-m VLM on world captions and visual questions,
# then fine-tune it as a generative pairwise reward model on world t2i alignment pairs, and
# record its evaluation beside it. Usage: bash scripts/train-shipped-rm.sh [PRETRAIN_STEPS] [RM_STEPS]
set -euo pipefail
cd "$(dirname "$0")/.."
PRE_STEPS=${1:-1500}
RM_STEPS=${2:-2500}
WORK=${RD_WORK:-runs/shipped-rm}
mkdir -p "$WORK"
node dist/src/cli/main.js vlm pretrain --preset rd-m --out "$WORK/pretrained" --steps "$PRE_STEPS" --items 20000 --seed 0
node dist/src/cli/main.js rm train --init "$WORK/pretrained" --paradigm pairwise --context instruction \
  --criteria alignment --pairs 20000 --eval-pairs 500 --steps "$RM_STEPS" --eval-every 500 --seed 0 --out "$WORK/rm"
mkdir -p models/rd-rm-tiny
cp "$WORK/rm/config.json" "$WORK/rm/model.safetensors" models/rd-rm-tiny/
for split in id ood; do
  node dist/src/cli/main.js rm eval --model models/rd-rm-tiny --split "$split" --pairs 500 --json > "models/rd-rm-tiny/eval-$split.json"
done
# the numbers test/e2e/shipped-rm.test.ts re-checks: 100 seeded pairs per split (rm eval's seeds: 0 + 1001 / 2002)
node -e '
const fs = require("fs");
const out = [];
for (const [split, seed] of [["id", 1001], ["ood", 2002]]) {
  const r = JSON.parse(require("child_process").execFileSync("node", ["dist/src/cli/main.js", "rm", "eval", "--model", "models/rd-rm-tiny", "--split", split, "--pairs", "100", "--json"]).toString());
  out.push({ split, pairs: 100, seed, criteria: "alignment", accuracy: r.accuracy });
}
fs.writeFileSync("models/rd-rm-tiny/eval-check.json", JSON.stringify(out, null, 2) + "\n");
'
echo "done: models/rd-rm-tiny"
