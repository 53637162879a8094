#!/bin/sh
# Package the extension into gocore.vsix with @vscode/vsce 3.9.x (runs on
# Node 20; vsce 4 needs Node 22). Offline once `npm install` has fetched the
# devDependencies; without them npx fetches the same version.
set -eu
cd "$(dirname "$0")"
out="${1:-gocore.vsix}"
if [ -x node_modules/.bin/vsce ]; then
  vsce=node_modules/.bin/vsce
else
  vsce="npx --yes @vscode/vsce@~3.9.1"
fi
$vsce package --no-dependencies --allow-missing-repository -o "$out"
