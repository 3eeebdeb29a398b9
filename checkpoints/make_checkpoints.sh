#!/usr/bin/env bash
# Rebuild the shipped checkpoints: 2-D models on mnist-10k's training part (images 0..7999),
# held out 8000..9999. Needs AAE_DATA_DIR pointing at MNIST's t10k files (or the cache).
# One run at a time, one torch thread each. The optimizer state is dropped to keep the
# folder small (the models still resume, with fresh Adam moments).
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PY:-.venv/bin/python}
export OMP_NUM_THREADS=1
COMMON=(--dataset mnist-10k --latent-dim 2 --hidden 256,256 --disc-hidden 256,256 --seed 0
        --no-progress)
# One budget for every model of the "AAE vs VAE" page (aae-*, vae-*, wae-mmd): the same
# data, epochs and batch size, so only the family differs (docs/ARCHITECTURE.md, "Decisions and their
# measurements"; RESULTS.md, "The shipped 2-D models").
COMPARED=(--epochs 24 --batch-size 50)
# The 2-D AAE, as the CLI's defaults make it (AAE.preferred_settings): its generator phase
# steps the autoencoder's Adam on 1 x the generator loss, D learns at lr_adv = lr. It keeps
# the digits apart as well as the VAE and fills the prior better; a generator phase with an
# Adam of its own (the paper's form) fills the prior but mixes the digits (RESULTS.md,
# "the shipped 2-D models").
AAE=(--lr 1e-3 --lr-adv 1e-3 --generator-weight 1)

# `make_checkpoints.sh NAME ...` rebuilds only those; no arguments: all of them.
ONLY=" $* "
train() {  # name, args...
  local name=$1; shift
  if [ "$ONLY" != "  " ] && [[ "$ONLY" != *" $name "* ]]; then return 0; fi
  "$PY" -m aae_core train "${COMMON[@]}" "$@" --out "checkpoints/$name" \
    --overwrite "checkpoints/$name" > "checkpoints/.$name.log" 2>&1
  rm -f "checkpoints/$name/optimizer.safetensors" "checkpoints/.$name.log"
  echo "built checkpoints/$name"
}

train aae-gaussian --model aae --prior gaussian "${AAE[@]}" "${COMPARED[@]}"
train aae-mixture --model aae --prior mixture "${AAE[@]}" "${COMPARED[@]}"
train vae-gaussian --model vae --prior gaussian --lr 1e-3 "${COMPARED[@]}"
train vae-mixture --model vae --prior mixture --lr 1e-3 "${COMPARED[@]}"
train wae-mmd --model wae-mmd --prior gaussian --reg-weight 10 --lr 1e-3 "${COMPARED[@]}"
# Not on the comparison page: their own schedules (a strong adversary, lr_adv = lr).
train aae-label-regularized --model aae-label-regularized --prior mixture --lr 1e-3 \
  --lr-adv 1e-3 --batch-size 100 --epochs 12
train aae-supervised --model aae-supervised --prior gaussian --lr 1e-3 --lr-adv 1e-3 \
  --batch-size 100 --epochs 12
# The categorical-code models denoise (encoder input noise 0.3): RESULTS.md, "what we tried".
train aae-semi-supervised --model aae-semi-supervised --prior gaussian --labels 1000 \
  --input-noise 0.3 --lr 1e-3 --lr-adv 1e-3 --batch-size 100 --epochs 60
# Clustering also needs noise on D's input (else D_cat judges sharpness, not frequencies).
train aae-clustering --model aae-clustering --prior gaussian --n-classes 16 \
  --input-noise 0.3 --disc-noise 0.5 --lr 1e-3 --lr-adv 1e-3 --batch-size 50 --epochs 24
train aae-dim-reduction --model aae-dim-reduction --prior gaussian --prior-std 0.5 --labels 1000 \
  --hidden 128,128 --disc-hidden 128,128 --input-noise 0.3 --lr 1e-3 --lr-adv 1e-3 \
  --batch-size 50 --epochs 24
