#!/usr/bin/env bash
# Builds .device/ (ignored), the kit that lets a lent GPU machine without Node.js or internet run
# `ricci-gen bench --backend webgpu` and the PyTorch peer. See docs/device.md.
#
#   scripts/device-kit.sh            # from anywhere; writes <repo>/.device/
#
# Layout (big files xz-compressed; scripts/device-bench.sh unpacks them on the device):
#   .device/node.xz                                        the `node` binary on PATH here (xz -9)
#   .device/cli/ricci-gen.mjs.xz                           esbuild single-file bundle of src/cli/main.ts
#   .device/node_modules/webgpu/{package.json,index.js}    the native `webgpu` package, kept external
#   .device/node_modules/webgpu/dist/linux-x64/dawn.node.xz
#   .device/peers/*.py                                     the PyTorch peer (peers/ of this repository)
#   .device/gl/*.deb                                       glvnd + Vulkan loader packages (amd64)
#   .device/lib/libstdc++.so.6                             fallback for dawn.node (GLIBCXX_3.4.30)
#   .device/MANIFEST.txt                                   versions, sizes, sha256 of the unpacked files
#
# The bundle sits two folders below the repository root on purpose: the code finds templates/ and
# examples/ at `../../` from its own module URL, which from .device/cli/ is the repository root.
#
# Environment: RICCI_PEERS_DIR (default <repo>/peers), KIT_LIMIT_MIB (default 60),
# KIT_ALLOW_NO_GL=1 to go on when the .deb download fails (the device then has no Vulkan loader).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
KIT=.device
LIMIT_MIB="${KIT_LIMIT_MIB:-60}"
PEERS_DIR="${RICCI_PEERS_DIR:-$ROOT/peers}"
GL_PKGS=(libvulkan1 libegl1 libglvnd0 libopengl0 libgl1 libglx0 libgles2)

die() { echo "device-kit: ERROR: $*" >&2; exit 1; }
say() { echo "device-kit: $*" >&2; }

git check-ignore -q "$KIT/" || die "$KIT/ is not ignored by git (it must not be committed)"
NODE_BIN="$(command -v node)" || die "no node on PATH"
NODE_BIN="$(readlink -f "$NODE_BIN")"
node_major="$("$NODE_BIN" -p 'process.versions.node.split(".")[0]')"
[ "$node_major" -ge 20 ] || die "node $("$NODE_BIN" --version) is older than 20"
[ "$(uname -m)" = x86_64 ] || die "this kit carries x86-64 binaries (node, dawn.node); build it on x86-64"
ESBUILD="$ROOT/node_modules/esbuild/bin/esbuild"
[ -x "$ESBUILD" ] || ESBUILD="$ROOT/node_modules/.bin/esbuild"
[ -x "$ESBUILD" ] || die "esbuild not found in node_modules (npm ci first)"
WEBGPU="$ROOT/node_modules/webgpu"
[ -f "$WEBGPU/dist/linux-x64/dawn.node" ] || die "node_modules/webgpu/dist/linux-x64/dawn.node missing (npm ci first)"
[ -f "$PEERS_DIR/torch_ricci.py" ] || die "PyTorch peer torch_ricci.py not found in $PEERS_DIR (set RICCI_PEERS_DIR)"
command -v xz >/dev/null || die "xz not found"

rm -rf "$KIT"
mkdir -p "$KIT/cli" "$KIT/node_modules/webgpu/dist/linux-x64" "$KIT/peers" "$KIT/gl"

# 1. The CLI as one ESM file. `webgpu` stays external: src/runtime/webgpu/device.ts imports it
#    dynamically, and its index.js loads dist/linux-x64/dawn.node by a path beside itself.
#    @resvg/resvg-js (native; PNG pictures of `report` only) is imported statically, so an external
#    import would be hoisted and break start-up: it is replaced by a stub that throws when used.
#    The banner gives bundled CommonJS dependencies a real `require` (node builtins).
mkdir -p "$KIT/.build"
cat >"$KIT/.build/resvg-stub.mjs" <<'STUB'
export class Resvg {
  constructor() {
    throw new Error("@resvg/resvg-js is not in the device kit: PNG rendering (report) is unavailable here; use `report --svg`");
  }
}
STUB
say "bundling src/cli/main.ts with esbuild $("$ESBUILD" --version)"
"$ESBUILD" src/cli/main.ts --bundle --platform=node --format=esm --target=node20 \
  --external:webgpu "--alias:@resvg/resvg-js=./$KIT/.build/resvg-stub.mjs" \
  "--banner:js=import { createRequire as __ricciCreateRequire } from 'node:module'; const require = __ricciCreateRequire(import.meta.url);" \
  --log-level=warning --outfile="$KIT/cli/ricci-gen.mjs"
rm -rf "$KIT/.build"
bundle_bytes=$(stat -c %s "$KIT/cli/ricci-gen.mjs")
"$NODE_BIN" "$KIT/cli/ricci-gen.mjs" --version >/dev/null || die "the bundle does not start (node $KIT/cli/ricci-gen.mjs --version)"

# 2. The native webgpu package, minimal: index.js requires dist/<platform>-<arch>/dawn.node beside it.
cp "$WEBGPU/package.json" "$WEBGPU/index.js" "$KIT/node_modules/webgpu/"
[ -f "$WEBGPU/LICENSE.md" ] && cp "$WEBGPU/LICENSE.md" "$KIT/node_modules/webgpu/"
cp "$WEBGPU/dist/linux-x64/dawn.node" "$KIT/node_modules/webgpu/dist/linux-x64/"
webgpu_version="$("$NODE_BIN" -p "require('$WEBGPU/package.json').version")"

# dawn.node needs GLIBCXX_3.4.30 (libstdc++ of GCC 12) and glibc 2.34. In case the device's
# libstdc++ is older, ship this machine's; device-bench.sh uses it only if loading Dawn fails.
mkdir -p "$KIT/lib"
libstdcxx="$(ldd "$WEBGPU/dist/linux-x64/dawn.node" | awk '$1 == "libstdc++.so.6" { print $3 }')"
[ -n "$libstdcxx" ] && cp "$(readlink -f "$libstdcxx")" "$KIT/lib/libstdc++.so.6"

# 3. The PyTorch peer.
cp "$PEERS_DIR"/*.py "$KIT/peers/"
[ -f "$PEERS_DIR/README.md" ] && cp "$PEERS_DIR/README.md" "$KIT/peers/"

# 4. glvnd + Vulkan loader packages for the device (its NVIDIA driver brings only the ICD).
gl_ok=1
if [ "$(dpkg --print-architecture 2>/dev/null || true)" = amd64 ]; then
  (cd "$KIT/gl" && apt-get download "${GL_PKGS[@]}") >&2 || gl_ok=0
else
  o=(-oAPT::Architecture=amd64 -oAPT::Architectures=amd64 -oDir::State::Lists=/tmp/amd64)
  mkdir -p /tmp/amd64/partial
  { apt-get "${o[@]}" update && (cd "$KIT/gl" && apt-get "${o[@]}" download "${GL_PKGS[@]}"); } >&2 || gl_ok=0
fi
n_deb=$(find "$KIT/gl" -name '*.deb' | wc -l)
if [ "$gl_ok" != 1 ] || [ "$n_deb" -ne "${#GL_PKGS[@]}" ]; then
  [ "${KIT_ALLOW_NO_GL:-0}" = 1 ] || die "apt-get download of ${GL_PKGS[*]} failed ($n_deb of ${#GL_PKGS[@]} .deb); the device needs them (KIT_ALLOW_NO_GL=1 to go on)"
  say "WARNING: only $n_deb of ${#GL_PKGS[@]} .deb packages: Dawn will likely find no Vulkan loader on the device"
fi

# 5. Manifest (checksums of the unpacked files, so the device side can verify what it unpacked).
cp "$NODE_BIN" "$KIT/node"
{
  echo "ricci-gen device kit, built $(date -u +%Y-%m-%dT%H:%M:%SZ) on $(uname -srm)"
  echo "git: $(git rev-parse --short HEAD)$(git diff --quiet HEAD -- src 2>/dev/null || echo ' (src/ has uncommitted changes)')"
  echo "node: $("$NODE_BIN" --version) ($NODE_BIN)"
  echo "webgpu (dawn.node): $webgpu_version"
  echo "esbuild: $("$ESBUILD" --version); bundle: $bundle_bytes bytes"
  echo "peers: $(cd "$KIT/peers" && ls *.py | tr '\n' ' ')"
  echo "gl: $(cd "$KIT/gl" && ls *.deb 2>/dev/null | tr '\n' ' ')"
  echo "sha256 (unpacked):"
  (cd "$KIT" && sha256sum node cli/ricci-gen.mjs node_modules/webgpu/dist/linux-x64/dawn.node peers/*.py)
} >"$KIT/MANIFEST.txt"

# 6. Compress the three big files (the device unpacks them with xz -dk; ~1 s each).
say "compressing node, bundle and dawn.node with xz -9 (about a minute)"
for f in "$KIT/node" "$KIT/cli/ricci-gen.mjs" "$KIT/node_modules/webgpu/dist/linux-x64/dawn.node"; do
  xz -9 -T1 -f "$f"
done

total_bytes=$(du -sb "$KIT" | cut -f1)
total_mib=$(awk -v b="$total_bytes" 'BEGIN { printf "%.1f", b / 1048576 }')
echo "sizes (bytes):" >>"$KIT/MANIFEST.txt"
(cd "$KIT" && find . -type f ! -name MANIFEST.txt -printf '%s %p\n' | sort -k2) >>"$KIT/MANIFEST.txt"
echo "total: $total_bytes bytes ($total_mib MiB)" >>"$KIT/MANIFEST.txt"
(cd "$KIT" && find . -type f -printf '%10s  %p\n' | sort -k2) >&2
echo "device-kit: $KIT/ is $total_mib MiB ($total_bytes bytes); limit $LIMIT_MIB MiB"
if [ "$total_bytes" -gt $((LIMIT_MIB * 1048576)) ]; then
  die "$KIT/ is $total_mib MiB, over the $LIMIT_MIB MiB limit (the run tool carries 64 MiB in all, working tree included)"
fi
