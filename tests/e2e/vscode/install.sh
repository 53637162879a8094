#!/usr/bin/env bash
# Installs what the real-VS-Code end-to-end tests (tests/test_e2e_vscode.py)
# need, idempotently: Debian's chromium, ripgrep and libkrb5-dev (apt-get,
# when missing; needs root), and, under ${DAPCORE_CACHE:-~/.cache/dapcore}/e2e/node,
# the npm packages code-server (a real VS Code served to a browser) and
# puppeteer-core (drives the system chromium; it never downloads a browser),
# plus the extension's own devDependencies (@vscode/vsce, to build the .vsix).
# A second run with everything in place takes about a second.
set -euo pipefail

CODE_SERVER_VERSION=4.100.3
PUPPETEER_CORE_VERSION=24.43.1
# code-server 4.100.3 pins @vscode/ripgrep 1.15.11, whose postinstall
# downloads this archive unless it is found in its cache under os.tmpdir().
RIPGREP_PKG_VERSION=1.15.11
RIPGREP_ASSET=ripgrep-v13.0.0-10-x86_64-unknown-linux-musl.tar.gz
APT_PACKAGES=(chromium ripgrep libkrb5-dev)

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../../.." && pwd)
cache="${DAPCORE_CACHE:-$HOME/.cache/dapcore}/e2e"
prefix="$cache/node"
start=$(date +%s)

say() { echo "e2e install: $*"; }

# ------------------------------------------------------------ Debian packages
missing=()
for pkg in "${APT_PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$pkg")
  fi
done
if ((${#missing[@]})); then
  if [ "$(id -u)" != 0 ]; then
    echo "e2e install: missing Debian packages: ${missing[*]} (run as root, or: sudo apt-get install ${missing[*]})" >&2
    exit 1
  fi
  say "apt-get install ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q >/dev/null
  apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
fi
for tool in /usr/bin/chromium /usr/bin/rg node npm; do
  command -v "$tool" >/dev/null || { echo "e2e install: $tool not found" >&2; exit 1; }
done
node_major=$(node -p 'process.versions.node.split(".")[0]')
if [ "$node_major" != 20 ]; then
  echo "e2e install: code-server $CODE_SERVER_VERSION needs Node 20 (found $(node --version))" >&2
  exit 1
fi

# ------------------------------------------------- code-server, puppeteer-core
stamp="code-server@$CODE_SERVER_VERSION puppeteer-core@$PUPPETEER_CORE_VERSION node$node_major"
entry="$prefix/node_modules/code-server/out/node/entry.js"
if [ "$(cat "$prefix/.installed" 2>/dev/null)" != "$stamp" ] || [ ! -f "$entry" ] ||
   [ ! -d "$prefix/node_modules/code-server/lib/vscode/node_modules" ]; then
  mkdir -p "$prefix"
  rm -f "$prefix/.installed"
  # @vscode/ripgrep's postinstall: serve it Debian's rg instead of a download.
  tmp="${TMPDIR:-/tmp}"
  seed="$tmp/vscode-ripgrep-cache-$RIPGREP_PKG_VERSION"
  if [ ! -s "$seed/$RIPGREP_ASSET" ]; then
    mkdir -p "$seed"
    work=$(mktemp -d)
    cp /usr/bin/rg "$work/rg"
    tar -C "$work" -czf "$seed/$RIPGREP_ASSET" rg
    rm -rf "$work"
  fi
  cat > "$prefix/package.json" <<JSON
{
  "name": "dapcore-e2e-vscode",
  "private": true,
  "description": "code-server and puppeteer-core for dapcore's end-to-end tests (written by tests/e2e/vscode/install.sh)",
  "dependencies": {
    "code-server": "$CODE_SERVER_VERSION",
    "puppeteer-core": "$PUPPETEER_CORE_VERSION"
  }
}
JSON
  say "npm install code-server@$CODE_SERVER_VERSION puppeteer-core@$PUPPETEER_CORE_VERSION into $prefix (several minutes)"
  # Install scripts must run: code-server's postinstall installs VS Code's
  # own dependencies and builds their native modules against /usr's headers
  # (as root it insists on unsafe-perm; node-pty's runs `npx node-gyp`, which
  # must not stop to ask).
  (cd "$prefix" &&
    npm_config_ignore_scripts=false npm_config_unsafe_perm=true npm_config_nodedir=/usr \
    npm_config_yes=true \
    npm_config_update_notifier=false npm_config_fund=false npm_config_audit=false \
    PUPPETEER_SKIP_DOWNLOAD=1 PUPPETEER_SKIP_CHROMIUM_DOWNLOAD=1 \
    npm install --foreground-scripts --no-audit --no-fund --loglevel=warn >"$prefix/npm-install.log" 2>&1) || {
      tail -40 "$prefix/npm-install.log" >&2
      echo "e2e install: npm install failed (log: $prefix/npm-install.log)" >&2
      exit 1
    }
  if [ ! -d "$prefix/node_modules/code-server/lib/vscode/node_modules" ]; then
    echo "e2e install: code-server's postinstall did not run (install scripts disabled?); log: $prefix/npm-install.log" >&2
    exit 1
  fi
  echo "$stamp" > "$prefix/.installed"
fi
"$prefix/node_modules/.bin/code-server" --version >/dev/null

# --------------------------------------------- the extension's devDependencies
if [ ! -x "$repo/vscode-extension/node_modules/.bin/vsce" ]; then
  say "npm install in vscode-extension (@vscode/vsce)"
  (cd "$repo/vscode-extension" &&
    npm_config_update_notifier=false npm install --no-audit --no-fund --loglevel=error >/dev/null)
fi

say "ready in $(( $(date +%s) - start )) s ($prefix)"
