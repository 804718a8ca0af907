#!/usr/bin/env bash
# Records MODEL_DIR/eval-check.json: `rm eval` accuracy on 100 seeded world t2i alignment pairs
# per split (rm eval's seeds: 0 + 1001 / 2002), the figures test/e2e/shipped-rm.test.ts re-checks.
# Usage: bash scripts/eval-check.sh MODEL_DIR   (from a build: npm run build)
set -euo pipefail
cd "$(dirname "$0")/.."
MODEL=${1:?usage: bash scripts/eval-check.sh MODEL_DIR}
node -e '
const fs = require("fs");
const model = process.argv[1];
const out = [];
for (const [split, seed] of [["id", 1001], ["ood", 2002]]) {
  const r = JSON.parse(require("child_process").execFileSync("node", ["dist/src/cli/main.js", "rm", "eval", "--model", model, "--split", split, "--pairs", "100", "--json"]).toString());
  out.push({ split, pairs: 100, seed, criteria: "alignment", accuracy: r.accuracy });
}
fs.writeFileSync(model + "/eval-check.json.tmp", JSON.stringify(out, null, 2) + "\n");
fs.renameSync(model + "/eval-check.json.tmp", model + "/eval-check.json");
' "$MODEL"
