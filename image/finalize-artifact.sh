#!/bin/bash
# Turns a raw disk image into the release artifacts: <name>.img.xz, <name>.img.xz.sha256 and
# <name>.manifest.json (the in-image manifest plus the artifact's size and hash).
# Usage: image/finalize-artifact.sh IMAGE.img IMAGE-MANIFEST.json FLAVOUR VERSION
# Used by Packerfile.pkr.hcl and image/build-test-image.sh. Needs xz, sha256sum and python3.
set -euo pipefail
img=$1 manifest=$2 flavour=$3 version=$4
[ -f "$img" ] || { echo "finalize-artifact: no image at $img" >&2; exit 1; }
[ -f "$manifest" ] || { echo "finalize-artifact: no manifest at $manifest" >&2; exit 1; }
dir=$(dirname "$img")
base=$(basename "$img" .img)
# CLAWBOX_XZ_LEVEL: xz preset (default 6: releases; the CI test image uses 1, see build-test-image.sh).
xz -T0 "-${CLAWBOX_XZ_LEVEL:-6}" --force --keep "$img"
(cd "$dir" && sha256sum "$base.img.xz" > "$base.img.xz.sha256")
python3 - "$manifest" "$dir/$base.img.xz" "$flavour" "$version" "$dir/$base.manifest.json" <<'PY'
import hashlib, json, os, sys
src, artifact, flavour, version, out = sys.argv[1:6]
with open(src) as f:
    manifest = json.load(f)
h = hashlib.sha256()
with open(artifact, "rb") as f:
    for chunk in iter(lambda: f.read(1 << 20), b""):
        h.update(chunk)
manifest.update({
    "artifact": os.path.basename(artifact),
    "artifactBytes": os.path.getsize(artifact),
    "artifactSha256": h.hexdigest(),
    "flavour": flavour,
    "clawbox": version,
})
with open(out, "w") as f:
    json.dump(manifest, f, indent=2, sort_keys=True)
    f.write("\n")
PY
echo "finalize-artifact: $dir/$base.img.xz ($(du -h "$dir/$base.img.xz" | cut -f1))"
