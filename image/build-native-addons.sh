#!/bin/bash
# Builds the release's native addons for the device: linux/<arch> and the ABI of the pinned Node
# (ansible/roles/agent/defaults/main.yml, via image/node-runtime.sh), whatever Node and CPU this machine has.
# Usage: image/build-native-addons.sh x64|arm64 NODE_MODULES_DIR CACHE_DIR
# - Addon: better-sqlite3 (the agent's SQLite store). Its sources are compiled by node-gyp (the copy bundled
#   with npm) against the headers in the npm package node-linux-<arch>@<pinned> (`--nodedir`); on another
#   CPU with Debian's cross compilers (crossbuild-essential-arm64: aarch64-linux-gnu-gcc/g++).
# - In NODE_MODULES_DIR the package keeps only build/Release/better_sqlite3.node (where its `bindings`
#   lookup finds it); its C sources (deps/, src/, ~10 MB) and any binding built for another Node are removed.
# - CACHE_DIR keeps each binding by package version, Node version and arch: a second release (the boot
#   test's fleet update) reuses it instead of compiling SQLite again (~2 min on 2 cores).
# Fails (exit 1, message on stderr) without the compiler, or when the result is not an ELF for <arch>.
set -euo pipefail
cd "$(dirname "$0")/.."
. image/node-runtime.sh
arch=$1
modules=$2
cache=$3

case "$arch" in
  x64) triple=x86_64-linux-gnu elf_machine=62 ;;    # EM_X86_64 (elf.h)
  arm64) triple=aarch64-linux-gnu elf_machine=183 ;; # EM_AARCH64 (elf.h)
  *) echo "build-native-addons: unknown architecture '$arch' (x64 or arm64)" >&2; exit 1 ;;
esac
case "$(uname -m)" in
  x86_64) host=x64 ;;
  aarch64) host=arm64 ;;
  *) host=other ;;
esac
if [ "$host" = "$arch" ]; then cross=; else cross=$triple-; fi
command -v "${cross}g++" >/dev/null || {
  echo "build-native-addons: ${cross}g++ not found: install build-essential (same CPU) or crossbuild-essential-$arch" >&2
  exit 1
}
gyp=$(dirname "$(dirname "$(readlink -f "$(command -v npm)")")")/node_modules/node-gyp/bin/node-gyp.js
[ -f "$gyp" ] || { echo "build-native-addons: npm's bundled node-gyp not found at $gyp" >&2; exit 1; }

node_dir=$(node_runtime_dir "$arch" "$cache")
node_version=$(node_runtime_version)

# elf_machine_of FILE → the ELF e_machine field (offset 18, 2 bytes little-endian).
elf_machine_of() { od -An -tu2 -j18 -N2 "$1" | tr -d ' '; }

pkg=$modules/better-sqlite3
[ -f "$pkg/package.json" ] || { echo "build-native-addons: $pkg is missing" >&2; exit 1; }
pkg_version=$(node -p 'require(process.argv[1]).version' "$pkg/package.json")
binding=$cache/addons/better-sqlite3-$pkg_version-node$node_version-linux-$arch.node
if [ ! -f "$binding" ]; then
  work=$(mktemp -d)
  trap 'rm -rf "$work"' EXIT
  cp -a "$pkg" "$work/better-sqlite3"
  rm -rf "$work/better-sqlite3/build"
  echo "build-native-addons: compiling better-sqlite3 $pkg_version for Node $node_version linux-$arch" >&2
  # node-gyp lets npm_config_* variables override its command line, and `npm test` exports the user's npm
  # config (a machine's ~/.npmrc with nodedir=/usr made every binding for the host's Node 20, ABI 115):
  # the build runs without any of them.
  npm_vars=$(env | sed -n 's/^\(npm_config_[^=]*\)=.*/-u \1/p')
  # shellcheck disable=SC2086 # one "-u NAME" pair per variable
  (cd "$work/better-sqlite3" &&
    env $npm_vars CC=${cross}gcc CXX=${cross}g++ LINK=${cross}g++ AR=${cross}ar \
      node "$gyp" rebuild --release --arch="$arch" --nodedir="$node_dir" --jobs=2 >"$work/gyp.log" 2>&1) || {
    tail -n 30 "$work/gyp.log" >&2
    echo "build-native-addons: node-gyp failed for better-sqlite3 (log above)" >&2
    exit 1
  }
  mkdir -p "$(dirname "$binding")"
  # A private temporary name, then a rename: a build running at the same time never reads half a file.
  cp "$work/better-sqlite3/build/Release/better_sqlite3.node" "$binding.$$.part"
  mv "$binding.$$.part" "$binding"
fi
[ "$(elf_machine_of "$binding")" = "$elf_machine" ] || {
  rm -f "$binding"
  echo "build-native-addons: $binding is not a linux-$arch binary; removed, run again" >&2
  exit 1
}
# The addon's entry point is named after the ABI it was compiled for (NODE_MODULE_INIT in node.h:
# node_register_module_v<NODE_MODULE_VERSION>); the pinned Node's headers say which one it loads.
abi=$(sed -n 's/^#define NODE_MODULE_VERSION \([0-9][0-9]*\).*/\1/p' "$node_dir/include/node/node_version.h")
grep -aq "node_register_module_v$abi" "$binding" || {
  rm -f "$binding"
  echo "build-native-addons: $binding was not built for Node $node_version (NODE_MODULE_VERSION $abi); removed, run again" >&2
  exit 1
}
rm -rf "$pkg/build" "$pkg/deps" "$pkg/src" "$pkg/binding.gyp"
mkdir -p "$pkg/build/Release"
cp "$binding" "$pkg/build/Release/better_sqlite3.node"
