#!/usr/bin/env bash
# Re-downloads the vendored browser libraries (web/static/vendor/) from the npm registry, exactly as
# pinned in web/static/vendor/MANIFEST.json, and checks each against the manifest's sha256 (the
# registry's own sha512 integrity is checked by `npm pack`). Needs npm only here: the stack never
# runs Node. Usage: scripts/vendor-js.sh [--update]   (--update rewrites the manifest's sha256 after
# a deliberate version bump in the manifest instead of failing on a mismatch).
set -euo pipefail
cd "$(dirname "$0")/.."
VENDOR=web/static/vendor
UPDATE="${1:-}"
command -v npm >/dev/null || { echo "vendor-js: npm is needed to rebuild the vendored files" >&2; exit 1; }
# The registry is the machine's own npm configuration (a mirror where one is set): never written here.
echo "vendor-js: npm registry $(npm config get registry)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

python3 - "$VENDOR/MANIFEST.json" <<'PY' > "$work/list"
import json, sys
for f in json.load(open(sys.argv[1]))["files"]:
    print(f["file"], f["name"], f["version"], f["path_in_package"])
PY

while read -r file name version inner; do
    mkdir -p "$work/$file"
    (cd "$work/$file" && npm pack --silent "$name@$version" >/dev/null && tar xzf ./*.tgz)
    cp "$work/$file/package/$inner" "$VENDOR/$file"
    echo "vendor-js: $VENDOR/$file ← $name@$version/$inner"
done < "$work/list"

python3 - "$VENDOR" "$UPDATE" <<'PY'
import hashlib, json, pathlib, sys
vendor, update = pathlib.Path(sys.argv[1]), sys.argv[2] == "--update"
manifest = json.loads((vendor / "MANIFEST.json").read_text())
bad = []
for f in manifest["files"]:
    digest = hashlib.sha256((vendor / f["file"]).read_bytes()).hexdigest()
    if digest != f["sha256"]:
        if update:
            f["sha256"] = digest
        else:
            bad.append(f"{f['file']}: sha256 {digest} != manifest {f['sha256']}")
if bad:
    sys.exit("vendor-js: " + "; ".join(bad))
if update:
    (vendor / "MANIFEST.json").write_text(json.dumps(manifest, indent=2) + "\n")
print("vendor-js: every file matches MANIFEST.json")
PY
