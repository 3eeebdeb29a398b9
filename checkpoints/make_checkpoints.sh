#!/usr/bin/env bash
# Rebuild the shipped checkpoints: 2-D models on mnist-10k's training part (images 0..7999),
# held out 8000..9999. Needs AAE_DATA_DIR pointing at MNIST's t10k files (or the cache).
# One run at a time, one torch thread each. The optimizer state is dropped to keep the
# folder small (the models still resume, with fresh Adam moments).
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PY:-.venv/bin/python}
export OMP_NUM_THREADS=1
# Every setting not given below is the model's own default (aae_core/settings.py: what
# `python -m aae_core settings --model M --latent-dim 2` prints); only departures are given.
COMMON=(--dataset mnist-10k --latent-dim 2 --seed 0 --no-progress)
# One budget for every model of the "AAE vs VAE" page (aae-*, vae-*, wae-mmd): the same
# data, epochs and batch size, so only the family differs (docs/ARCHITECTURE.md, "Decisions
# and their measurements"; RESULTS.md, "The shipped 2-D models"). It is the 2-D AAE's own
# budget (AAE.preferred_settings: 24 epochs of batches of 50, with its generator phase
# weighed against the reconstruction and lr_adv = lr), read from the one source rather than
# written again here.
read -r -a COMPARED <<< "$("$PY" -m aae_core settings --model aae --latent-dim 2 \
  --show epochs,batch_size)"

# `make_checkpoints.sh NAME ...` rebuilds only those; no arguments: all of them.
# `make_checkpoints.sh --print` prints each command instead of running it (the tests read it).
PRINT=0
if [ "${1:-}" = "--print" ]; then PRINT=1; shift; fi
ONLY=" $* "
train() {  # name, args...
  local name=$1; shift
  if [ "$ONLY" != "  " ] && [[ "$ONLY" != *" $name "* ]]; then return 0; fi
  local cmd=(-m aae_core train "${COMMON[@]}" "$@" --out "checkpoints/$name"
             --overwrite "checkpoints/$name")
  if [ "$PRINT" = 1 ]; then echo "python ${cmd[*]}"; return 0; fi
  "$PY" "${cmd[@]}" > "checkpoints/.$name.log" 2>&1
  rm -f "checkpoints/$name/optimizer.safetensors" "checkpoints/.$name.log"
  echo "built checkpoints/$name"
}

train aae-gaussian --model aae --prior gaussian
train aae-mixture --model aae --prior mixture
train vae-gaussian --model vae --prior gaussian "${COMPARED[@]}"
train vae-mixture --model vae --prior mixture "${COMPARED[@]}"
train wae-mmd --model wae-mmd --prior gaussian --reg-weight 10 "${COMPARED[@]}"
# Not on the comparison page: their own schedules (a strong adversary, lr_adv = lr).
train aae-label-regularized --model aae-label-regularized --prior mixture --epochs 12
train aae-supervised --model aae-supervised --prior gaussian --epochs 12
# The categorical-code models denoise (encoder input noise 0.3): RESULTS.md, "what we tried".
train aae-semi-supervised --model aae-semi-supervised --prior gaussian --labels 1000 \
  --input-noise 0.3 --epochs 60
# Clustering also needs noise on D's input (else D_cat judges sharpness, not frequencies).
train aae-clustering --model aae-clustering --prior gaussian --n-classes 16 \
  --input-noise 0.3 --disc-noise 0.5 --batch-size 50 --epochs 24
train aae-dim-reduction --model aae-dim-reduction --prior gaussian --prior-std 0.5 --labels 1000 \
  --hidden 128,128 --disc-hidden 128,128 --input-noise 0.3 --batch-size 50 --epochs 24
