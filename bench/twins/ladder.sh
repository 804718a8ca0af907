#!/usr/bin/env bash
# The reward-model ladder in the PyTorch twin (bench/twins/rm_recipe.py), for a borrowed GPU:
# every preset is pretrained on `vlm pretrain`'s grounded items, then fine-tuned as a generative
# pairwise (+ pointwise questions), generative pointwise and Bradley-Terry reward model; rd-m also
# from scratch (no pretraining) and with the context ladder (no instruction; + one in-context
# example; + decision-first rationales). All runs share one GPU at once; each stops at its step
# count or its deadline, whichever comes first, and says which in its log.
# Data: node dist/bench/export-twin-pairs.js DATA default 20000 20000
# Usage: bash bench/twins/ladder.sh DATA OUT [RM_STEPS] [PRETRAIN_STEPS] [RM_DEADLINE_S]
set -uo pipefail
DATA=$1; OUT=$2; STEPS=${3:-4000}; PRE=${4:-3000}; DEADLINE=${5:-300}
PY=${PY:-python3}; HERE="$(dirname "$0")"
mkdir -p "$OUT"
run() { "$PY" "$HERE/rm_recipe.py" "$@" --data "$DATA" --vocab "$DATA/vocab.json" --out "$OUT" --eval-every $((STEPS / 4)) --deadline "$DEADLINE" >> "$OUT/console.log" 2>&1; }
# from scratch (rd-m), started at once
run scratch-rd-m-pairwise --paradigm pairwise --mix 0.5 --steps "$STEPS" &
run scratch-rd-m-pointwise --paradigm pointwise --steps "$STEPS" &
run scratch-rd-m-bt --paradigm bt --steps "$STEPS" &
for p in rd-xs rd-s rd-m rd-l rd-xl; do
  (
    lr=2e-3; [ "$p" = rd-xl ] && lr=${XL_PRE_LR:-7e-4}  # rd-xl stalls at 2e-3 (docs/results/rm-ladder-twin-2026-11-27)
    run "pre-$p" --preset "$p" --pretrain-steps "$PRE" --pretrain-lr "$lr" --save-pre "$OUT/pre-$p.pt" --steps 0 || exit 1
    run "$p-pairwise" --preset "$p" --init "$OUT/pre-$p.pt" --paradigm pairwise --mix 0.5 --steps "$STEPS" &
    run "$p-pointwise" --preset "$p" --init "$OUT/pre-$p.pt" --paradigm pointwise --steps "$STEPS" &
    run "$p-bt" --preset "$p" --init "$OUT/pre-$p.pt" --paradigm bt --steps "$STEPS" &
    if [ "$p" = rd-m ]; then
      run ctx-none --init "$OUT/pre-$p.pt" --paradigm pointwise --no-instruction --steps "$STEPS" &
      run ctx-examples --init "$OUT/pre-$p.pt" --paradigm pairwise --mix 0.5 --examples 1 --steps "$STEPS" &
      run ctx-cot --init "$OUT/pre-$p.pt" --paradigm pairwise --mix 0.5 --examples 1 --cot 1 --steps "$STEPS" &
    fi
    wait
  ) &
done
wait
# one line per run: its last evaluation
for f in "$OUT"/*.jsonl; do echo "$(basename "$f" .jsonl) $(tail -n 1 "$f")"; done | cut -c1-160
