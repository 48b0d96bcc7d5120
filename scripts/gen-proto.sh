#!/usr/bin/env bash
# Generates the protobuf code in shared/protocol/gen/ from proto/herald/v1/*.proto.
# The output is never edited by hand and never committed.
set -euo pipefail
cd "$(dirname "$0")/.."
out=shared/protocol/gen
mkdir -p "$out"
npx --no-install pbjs -t static-module -w commonjs --no-beautify --force-number \
  -o "$out/client.js" proto/herald/v1/client.proto
npx --no-install pbts -o "$out/client.d.ts" "$out/client.js"
