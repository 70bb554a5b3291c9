#!/usr/bin/env bash
# Builds the image `latticelab:${TAG:-dev}` from the repository's Dockerfile, from scratch:
# the build context is the latticelab binary plus the shared libraries it loads (as `ldd`
# lists them), an empty /state and /tmp. BINARY picks a prebuilt binary; otherwise a release
# build is made first.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
tag=${TAG:-dev}
binary=${BINARY:-}
if [ -z "$binary" ]; then
  cargo build --release --manifest-path "$root/Cargo.toml" --bin latticelab
  binary=$root/target/release/latticelab
fi
context=$(mktemp -d)
trap 'rm -rf "$context"' EXIT
mkdir -p "$context/rootfs/state" "$context/rootfs/tmp"
cp "$binary" "$context/rootfs/latticelab"
# Every library path ldd prints (`name => /path (addr)` and the loader's `/path (addr)`).
ldd "$binary" | grep -o '/[^ ]*' | while read -r lib; do
  mkdir -p "$context/rootfs$(dirname "$lib")"
  cp -L "$lib" "$context/rootfs$lib"
done
cp "$root/Dockerfile" "$context/Dockerfile"
docker build --quiet -t "latticelab:$tag" "$context"
