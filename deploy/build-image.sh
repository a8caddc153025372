#!/usr/bin/env bash
# Builds the kernel's container image with podman: a static release binary
# for x86_64-unknown-linux-musl, in an image FROM scratch (deploy/Containerfile),
# then checks what the image holds. Needs rustup (it adds the musl target),
# musl-gcc (Debian: musl-tools; SQLite and ring are C) and podman; pulls
# nothing (scratch is no image).
#
#   deploy/build-image.sh [TAG]        # default xingji:latest
#
# XINGJI_IMAGE_PROFILE=dev builds a debug binary instead (quicker, larger).
set -euo pipefail
cd "$(dirname "$0")/.."

tag=${1:-xingji:latest}
target=x86_64-unknown-linux-musl
profile=${XINGJI_IMAGE_PROFILE:-release}

command -v podman >/dev/null || { echo "build-image: podman is missing (apt-get install podman)" >&2; exit 1; }
command -v musl-gcc >/dev/null || { echo "build-image: musl-gcc is missing (apt-get install musl-tools)" >&2; exit 1; }
rustup target list --installed | grep -qx "$target" || rustup target add "$target"

# musl-gcc for the C parts (bundled SQLite, ring): the host's gcc would
# compile them against glibc's headers.
CC_x86_64_unknown_linux_musl=musl-gcc \
  cargo build --locked -p xingji --profile "$profile" --target "$target"
dir=$profile
[ "$profile" = dev ] && dir=debug
binary=${CARGO_TARGET_DIR:-target}/$target/$dir/xingji

# Static: no program interpreter (a glibc binary names ld-linux).
if grep -q 'ld-linux' "$binary"; then
  echo "build-image: $binary is not static" >&2
  exit 1
fi

context=$(mktemp -d)
trap 'rm -rf "$context"' EXIT
cp "$binary" "$context/xingji"
cp /etc/ssl/certs/ca-certificates.crt "$context/"
mkdir "$context/data"
podman build --pull=never -f deploy/Containerfile -t "$tag" "$context"

# What the image says it runs, and that the binary is in it: the entrypoint,
# the port, the user, and usr/local/bin/xingji in its one layer.
podman image inspect "$tag" --format 'entrypoint={{json .Config.Entrypoint}} cmd={{json .Config.Cmd}} ports={{json .Config.ExposedPorts}} user={{.Config.User}}'
saved="$context/image.tar"
podman save --format docker-archive -o "$saved" "$tag" >/dev/null
mkdir "$context/saved"
tar -xf "$saved" -C "$context/saved"
found=no
for layer in $(find "$context/saved" -name '*.tar'); do
  if tar -tvf "$layer" | grep -E ' usr/local/bin/xingji$' ; then found=yes; fi
done
[ "$found" = yes ] || { echo "build-image: usr/local/bin/xingji is not in $tag" >&2; exit 1; }
echo "built $tag"
