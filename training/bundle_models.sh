#!/usr/bin/env bash
# Rebuild the bundled models in resources/models from finished training runs:
# evaluate (Set5/Set14, Y-PSNR/SSIM, border 4, against bicubic; restore models also
# on the same sets degraded by their training preset), export to a verified ONNX
# file with its descriptor (metrics recorded), and copy the PyTorch weights the
# fine-tuning wizard starts from. Run from the repo root:
#   bash training/bundle_models.sh srresnet_x4 [srgan_x4]
# NAME=RUN bundles the run RUN (runs/RUN) as model NAME, e.g.
#   bash training/bundle_models.sh restore_x4 restore_gan_x4=restore_gan_x4
set -euo pipefail
cd "$(dirname "$0")/.."
VAL="${VAL:-../shared/datasets/val}"
declare -A TITLES=([srresnet_x4]="SRResNet x4" [srgan_x4]="SRGAN x4" [restore_x4]="Restore x4"
                   [restore_gan_x4]="Restore GAN x4")
for arg in "$@"; do
  name="${arg%%=*}"; run="${arg#*=}"
  dir="runs/$run"
  weights="$dir/generator.safetensors"
  [ -f "$weights" ] || { echo "no weights at $weights" >&2; exit 1; }
  mkdir -p "$dir/eval"
  srgan-studio eval --model "$weights" "$VAL/Set5" "$VAL/Set14" --json -o "$dir/eval/torch.json" --overwrite > /dev/null
  preset=$(python -c "import tomllib,sys; print(tomllib.load(open(sys.argv[1],'rb'))['data'].get('degradation','clean'))" "$dir/recipe.toml")
  metrics="$dir/eval/torch.json"
  if [ "$preset" != clean ]; then
    # Restore models are also scored where they are meant to work: on LR degraded by their preset (seed 0).
    srgan-studio eval --model "$weights" "$VAL/Set5" "$VAL/Set14" --degradation "$preset" --seed 0 --json \
      -o "$dir/eval/torch_$preset.json" --overwrite > /dev/null
    python - "$dir/eval/torch.json" "$dir/eval/torch_$preset.json" "$preset" "$dir/eval/metrics.json" <<'PY'
import json, sys
clean, degraded, preset, out = sys.argv[1], json.load(open(sys.argv[2])), sys.argv[3], sys.argv[4]
merged = json.load(open(clean))
merged["sets"].update({f"{k} ({preset})": v for k, v in degraded["sets"].items()})
json.dump(merged, open(out, "w"), indent=1)
PY
    metrics="$dir/eval/metrics.json"
  fi
  srgan-studio export "$weights" -o "resources/models/$name.onnx" --overwrite --name "$name" \
    --title "${TITLES[$name]:-$name}" --metrics "$metrics"
  cp "$weights" "resources/models/.$name.safetensors.tmp" && mv "resources/models/.$name.safetensors.tmp" "resources/models/$name.safetensors"
  # The figures must reproduce through the app's own path (ONNX Runtime, tiled).
  srgan-studio eval --model "$name" "$VAL/Set5" "$VAL/Set14" --json -o "$dir/eval/onnx.json" --overwrite > /dev/null
  python - "$dir" <<'PY'
import json, sys
d = sys.argv[1]
t = json.load(open(f"{d}/eval/torch.json"))["sets"]
o = json.load(open(f"{d}/eval/onnx.json"))["sets"]
for s in t:
    print(f"{s}: torch {t[s]['psnr_y']:.4f} dB, onnx {o[s]['psnr_y']:.4f} dB")
PY
done
