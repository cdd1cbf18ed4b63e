#!/usr/bin/env bash
# Rebuild the bundled models in resources/models from finished training runs:
# evaluate (Set5/Set14, Y-PSNR/SSIM, border 4, against bicubic), export to a
# verified ONNX file with its descriptor (metrics recorded), and copy the
# PyTorch weights the fine-tuning wizard starts from. Run from the repo root:
#   bash training/bundle_models.sh srresnet_x4 [srgan_x4]
# NAME=RUN bundles the run in training/runs/RUN as model NAME, e.g.
#   bash training/bundle_models.sh srresnet_x4=srresnet_x4_long srgan_x4=srgan_x4_v2
set -euo pipefail
cd "$(dirname "$0")/.."
VAL="${VAL:-../shared/datasets/val}"
declare -A TITLES=([srresnet_x4]="SRResNet x4" [srgan_x4]="SRGAN x4")
for arg in "$@"; do
  name="${arg%%=*}"; run="${arg#*=}"
  weights="training/runs/$run/generator.safetensors"
  [ -f "$weights" ] || { echo "no weights at $weights" >&2; exit 1; }
  mkdir -p training/runs/$run/eval
  srgan-studio eval --model "$weights" "$VAL/Set5" "$VAL/Set14" --json -o "training/runs/$run/eval/torch.json" > /dev/null
  srgan-studio export "$weights" -o "resources/models/$name.onnx" --name "$name" \
    --title "${TITLES[$name]:-$name}" --metrics "training/runs/$run/eval/torch.json"
  cp "$weights" "resources/models/.$name.safetensors.tmp" && mv "resources/models/.$name.safetensors.tmp" "resources/models/$name.safetensors"
  # The figures must reproduce through the app's own path (ONNX Runtime, tiled).
  srgan-studio eval --model "$name" "$VAL/Set5" "$VAL/Set14" --json -o "training/runs/$run/eval/onnx.json" > /dev/null
  python - "$run" <<'PY'
import json, sys
run = sys.argv[1]
t = json.load(open(f"training/runs/{run}/eval/torch.json"))
o = json.load(open(f"training/runs/{run}/eval/onnx.json"))
print(json.dumps({"torch": t.get("summary", t.get("sets", t)), "onnx": o.get("summary", o.get("sets", o))}, indent=1)[:3000])
PY
done
