#!/usr/bin/env bash
# Re-downloads the vendored browser libraries (web/static/vendor/) from the npm registry, exactly as
# pinned in web/static/vendor/MANIFEST.json, and checks each against the manifest's sha256 (the
# registry's own sha512 integrity is checked by npm). Two kinds of entry:
#   - "path_in_package": the file is copied unchanged from the package (Chart.js's own UMD build);
#   - "build": "esbuild": the package ships CommonJS only (JsSIP), so it is bundled ONCE into one IIFE
#     file with the pinned esbuild ("esbuild_version"), the package's LICENSE kept as the file's header.
# Needs npm only here: the stack never runs Node. Usage: scripts/vendor-js.sh [--update]   (--update
# rewrites the manifest's sha256 after a deliberate version bump in the manifest instead of failing).
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
    print(f["file"], f["name"], f["version"], f.get("path_in_package", "-"), f.get("build", "copy"),
          f.get("entry", "-"), f.get("global_name", "-"), f.get("esbuild_version", "-"), f.get("license_file", "-"))
PY

while read -r file name version inner build entry global esbuild_version license_file; do
    mkdir -p "$work/$file"
    if [ "$build" = "copy" ]; then
        (cd "$work/$file" && npm pack --silent "$name@$version" >/dev/null && tar xzf ./*.tgz)
        cp "$work/$file/package/$inner" "$VENDOR/$file"
        echo "vendor-js: $VENDOR/$file ← $name@$version/$inner"
    else
        (cd "$work/$file" && npm init -y >/dev/null &&
            npm install --silent --no-audit --no-fund --save-exact "$name@$version" "esbuild@$esbuild_version" >/dev/null)
        pkg="$work/$file/node_modules/$name"
        { echo "/*! $name $version (npm) bundled with esbuild $esbuild_version by scripts/vendor-js.sh."
          echo " * Licence of $name (from its $license_file):"
          sed -e 's#\*/#* /#g' -e 's/^/ * /' "$pkg/$license_file"
          echo " */"; } > "$work/$file/banner.txt"
        (cd "$work/$file" && ./node_modules/.bin/esbuild "node_modules/$name/$entry" --bundle --minify \
            --format=iife --global-name="$global" --platform=browser --legal-comments=inline \
            --log-level=warning --outfile=out.js)
        cat "$work/$file/banner.txt" "$work/$file/out.js" > "$VENDOR/$file"
        echo "vendor-js: $VENDOR/$file ← esbuild $name@$version/$entry"
    fi
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
