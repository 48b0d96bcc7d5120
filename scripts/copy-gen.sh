#!/usr/bin/env bash
# tsc does not copy the generated JavaScript: place it beside the compiled code.
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p dist/shared/protocol/gen
cp shared/protocol/gen/*.js dist/shared/protocol/gen/
