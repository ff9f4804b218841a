# shellcheck shell=bash
# The device's pinned Node runtime, for scripts (sourced; bash). The one source of the version and the
# SHA-512 of each npm tarball is ansible/roles/agent/defaults/main.yml (clawbox_agent_node_version,
# clawbox_agent_node_sha512), which the agent role installs on the device: make-release.sh builds native
# addons against the same Node ABI, and the arm64 release test runs the release on that binary.
# Needs: the repository root as the current directory, npm (registry access on a cold cache), sha512sum.

node_runtime_defaults=ansible/roles/agent/defaults/main.yml

# node_runtime_version → the pinned version, e.g. 24.22.3.
node_runtime_version() {
  sed -n 's/^clawbox_agent_node_version: *"\([0-9.]*\)".*/\1/p' "$node_runtime_defaults"
}

# node_runtime_sha512 ARCH (x64|arm64) → the pinned SHA-512 (hex) of node-linux-ARCH@version.
node_runtime_sha512() {
  sed -n '/^clawbox_agent_node_sha512:/,/^[^ ]/s/^  '"$1"': *\([0-9a-f]\{128\}\).*/\1/p' "$node_runtime_defaults"
}

# node_runtime_dir ARCH CACHE → a directory holding the pinned Node for linux-ARCH (bin/node,
# include/node/ headers for node-gyp): the npm package node-linux-ARCH, fetched into CACHE once with
# `npm pack`, checked against the pinned SHA-512 (a mismatch deletes the tarball and fails), unpacked
# into CACHE/node-linux-ARCH-VERSION.
node_runtime_dir() {
  local arch=$1 cache=$2 version sha tgz dir
  version=$(node_runtime_version)
  sha=$(node_runtime_sha512 "$arch")
  [ -n "$version" ] && [ -n "$sha" ] || {
    echo "node-runtime: no pinned Node version or SHA-512 for $arch in $node_runtime_defaults" >&2
    return 1
  }
  tgz=$cache/node-linux-$arch-$version.tgz
  dir=$cache/node-linux-$arch-$version
  if [ ! -x "$dir/bin/node" ]; then
    mkdir -p "$cache"
    [ -f "$tgz" ] || (cd "$cache" && npm pack --silent "node-linux-$arch@$version" >/dev/null) || return 1
    if [ "$(sha512sum "$tgz" | cut -d' ' -f1)" != "$sha" ]; then
      rm -f "$tgz"
      echo "node-runtime: node-linux-$arch@$version does not match the SHA-512 pinned in $node_runtime_defaults" >&2
      return 1
    fi
    rm -rf "$dir.part" && mkdir -p "$dir.part"
    tar -C "$dir.part" --strip-components=1 --no-same-owner -xzf "$tgz"
    rm -rf "$dir" && mv "$dir.part" "$dir"
  fi
  printf '%s\n' "$dir"
}
