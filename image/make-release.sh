#!/bin/bash
# Packs an agent release for the image: <out>.tar.gz whose top level holds agent/dist/, agent/package.json,
# hardware-profiles/, node_modules/ (the agent's production dependencies) and package.json.
# Usage: image/make-release.sh [x64|arm64] [FLAVOUR (cpu)] [OUT.tar.gz]   (flavours: ansible/group_vars/all/clawbox.yml)
#   env CLAWBOX_RELEASE_VERSION: the version the release reports (agent/package.json in the archive;
#   default: this checkout's), e.g. a second release of the same build for a fleet-update test.
#   env CLAWBOX_RELEASE_CACHE_DIR: the pinned Node packages and built native addons (default .cache/release).
# x64 on an x64 machine copies the installed node_modules (offline once the cache is warm); any other
# target installs the agent's production dependencies for linux/<arch> from the npm registry at the
# lockfile's versions (`npm ci`). Install scripts stay off in both cases: the native addon better-sqlite3
# is then built deliberately with node-gyp for linux/<arch> and the ABI of the Node version the device runs
# (pinned in ansible/roles/agent/defaults/main.yml, read by image/node-runtime.sh), against the headers of
# that Node's npm package; arm64 is cross-compiled with Debian's crossbuild-essential-arm64.
# node-llama-cpp ships prebuilt N-API backends (no ABI tie): CPU always, + CUDA (nvidia), + Vulkan (intel-igpu).
# ssh2's optional native crypto binding and cpu-features stay unbuilt (ssh2 falls back to JavaScript).
set -euo pipefail
cd "$(dirname "$0")/.."
. image/node-runtime.sh
arch=${1:-x64}
flavour=${2:-cpu}
case "$arch" in x64 | arm64) ;; *) echo "make-release: unknown architecture '$arch' (x64 or arm64)" >&2; exit 1 ;; esac
# Flavours and their architectures: clawbox_flavour_profiles in ansible/group_vars/all/clawbox.yml (the one list).
node --input-type=module -e '
  import { readFileSync } from "node:fs";
  import { parse } from "yaml";
  const [flavour, arch] = process.argv.slice(1);
  const flavours = parse(readFileSync("ansible/group_vars/all/clawbox.yml", "utf8")).clawbox_flavour_profiles;
  const why = !flavours[flavour] ? `unknown flavour "${flavour}" (${Object.keys(flavours).join(", ")})`
    : !flavours[flavour][arch] ? `the ${flavour} flavour is built for ${Object.keys(flavours[flavour]).join(" or ")}, not ${arch}` : "";
  if (why) { console.error(`make-release: ${why}`); process.exit(1); }
' "$flavour" "$arch"
cache=${CLAWBOX_RELEASE_CACHE_DIR:-$PWD/.cache/release}
version=${CLAWBOX_RELEASE_VERSION:-$(node -p 'require("./agent/package.json").version')}
case "$version" in *[!A-Za-z0-9.+-]* | '') echo "make-release: bad version '$version'" >&2; exit 1 ;; esac
out=${3:-artifacts/clawbox-$version-$arch-$flavour.tar.gz}
[ -f agent/dist/cli/main.js ] || { echo "make-release: build the agent first (npm run build)" >&2; exit 1; }

stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
chmod 0755 "$stage" # the archive's top directory becomes the release directory: readable by clawbox
mkdir -p "$stage/agent" "$(dirname "$out")"
cp -a agent/dist agent/package.json "$stage/agent/"
# The agent reports agent/package.json's version (agent/src/version.ts).
V="$version" node -e 'const f=process.argv[1];const p=JSON.parse(require("fs").readFileSync(f,"utf8"));p.version=process.env.V;require("fs").writeFileSync(f,JSON.stringify(p,null,2)+"\n")' "$stage/agent/package.json"
find "$stage/agent/dist" -name '*.test.*' -delete
cp -a hardware-profiles "$stage/"
# `clawbox seed import` validates boot-partition seeds against this schema (agent/src/seed/seed-file.ts).
mkdir -p "$stage/provisioning" && cp provisioning/seed.schema.json "$stage/provisioning/"
printf '{\n  "name": "clawbox-release",\n  "version": "%s",\n  "private": true,\n  "type": "module"\n}\n' \
  "$version" > "$stage/package.json"

keep_backend() { # $1 = @node-llama-cpp/<name>
  case "$1" in
    "linux-$arch") return 0 ;;
    "linux-$arch-cuda"|"linux-$arch-cuda-ext") [ "$flavour" = nvidia ] ;;
    "linux-$arch-vulkan") [ "$flavour" = intel-igpu ] ;;
    *) return 1 ;;
  esac
}

if [ "$arch" = x64 ] && [ "$(node -p process.arch)" = x64 ]; then
  # Every production dependency of the agent workspace, as installed (npm ls resolves hoisting).
  # npm ls exits non-zero for mere warnings (extraneous packages): its list is still complete.
  npm ls --workspace agent --omit=dev --all --parseable 2>/dev/null > "$stage/deps.txt" || true
  grep '/node_modules/' "$stage/deps.txt" | sort -u |
    while read -r dir; do
      rel=${dir#"$PWD/"}
      case "$rel" in
        node_modules/@clawbox/*) continue ;; # the workspace link to agent/ itself
        node_modules/@node-llama-cpp/*) keep_backend "${rel#node_modules/@node-llama-cpp/}" || continue ;;
      esac
      mkdir -p "$stage/$(dirname "$rel")"
      [ -e "$stage/$rel" ] || cp -a "$dir" "$stage/$rel"
    done
  # npm ls lists nested packages inside their parents too: the copies above include them.
  rm -f "$stage/deps.txt"
else
  # The workspace root's package.json and lockfile in a scratch directory: `npm ci --workspace agent`
  # installs exactly the locked production dependencies of the agent, for the target's os and cpu.
  deps=$(mktemp -d)
  trap 'rm -rf "$stage" "$deps"' EXIT
  mkdir -p "$deps/agent"
  cp package.json package-lock.json "$deps/"
  cp agent/package.json "$deps/agent/"
  (cd "$deps" && npm ci --omit=dev --workspace agent --include-workspace-root=false --os=linux --cpu="$arch" \
    --ignore-scripts --no-audit --no-fund --loglevel=error >/dev/null)
  rm -rf "$deps/node_modules/@clawbox" # the workspace link to agent/ itself
  mv "$deps/node_modules" "$stage/node_modules"
  for d in "$stage"/node_modules/@node-llama-cpp/*; do keep_backend "$(basename "$d")" || rm -rf "$d"; done
fi
image/build-native-addons.sh "$arch" "$stage/node_modules" "$cache"
tar -C "$stage" --owner=0 --group=0 -czf "$out" .
echo "make-release: $out ($(du -h "$out" | cut -f1))"
