#!/usr/bin/env bash
# Real non-animal photos for the animal model's "none of these" evaluation (issue 26), taken from
# Debian packages (apt is reachable here; nothing else is downloaded). Photos of people, rooms,
# streets, buildings, vehicles, food, plants, landscapes, objects and textures; animals (baboon,
# butterfly, fish, squirrel, cat, horse, elephants, ladybird) and synthetic or near-duplicate images
# are left out by the lists below. The photos are evaluation data only: they are never copied into
# the repository and never shipped (each package keeps its own licence).
#
#   bash scripts/fetch-non-animal-photos.sh [DEST]   (default ${STREAMLENS_CACHE:-~/.cache/streamlens}/non-animal-photos)
set -euo pipefail
dest="${1:-${STREAMLENS_CACHE:-$HOME/.cache/streamlens}/non-animal-photos}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
mkdir -p "$dest"
cd "$work"
apt-get download opencv-doc python3-skimage mate-backgrounds >&2
for deb in *.deb; do dpkg-deb -x "$deb" x; done
opencv=x/usr/share/doc/opencv-doc/examples/data
for f in fruits home building aero1 aero3 apple orange board messi5 stuff lena starry_night pic1 pic2 pic3 \
  pic4 pic5 pic6 box box_in_scene basketball1 graf1 leuvenA scenetext01 scenetext02 scenetext03 \
  scenetext04 scenetext05 scenetext06 licenseplate_motion plant aloeL blox smarties cards sudoku \
  notes imageTextN text_defocus Blender_Suzanne1 ela_original right01 left01; do
  for ext in jpg png; do [ -f "$opencv/$f.$ext" ] && cp "$opencv/$f.$ext" "$dest/opencv-$f.$ext"; done
done
skimage=$(find x -type d -path '*skimage/data' | head -1)
for f in astronaut coffee camera rocket motorcycle_left brick grass gravel color hubble_deep_field moon \
  page text coins clock_motion; do
  for ext in png jpg; do [ -f "$skimage/$f.$ext" ] && cp "$skimage/$f.$ext" "$dest/skimage-$f.$ext"; done
done
for f in $(find x/usr/share/backgrounds -type f \( -name '*.jpg' \) ! -name 'Elephants*' ! -name 'LadyBird*'); do
  cp "$f" "$dest/mate-$(basename "$f")"
done
echo "$(ls "$dest" | wc -l) photos in $dest" >&2
echo "$dest"
