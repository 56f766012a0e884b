#!/usr/bin/env bash
# Builds a real kube-apiserver from the k8s.io/kubernetes module, in a
# throwaway module outside the repository, and prints the binary's path.
#
# The k8s.io/kubernetes module is not meant to be imported: its go.mod
# replaces every k8s.io/* staging module with a directory of its own tree.
# The throwaway module repeats those replace lines, each pointing at the
# published staging module of the same minor (v0.MINOR.PATCH), which is how
# other projects build Kubernetes components from the module proxy.
#
# Environment:
#   KUBE_VERSION         k8s.io/kubernetes version (default v1.37.2; its minor
#                        must match the client-go in go.mod)
#   REACH_APISERVER_DIR  where the throwaway module and the binary live
#                        (default ${XDG_CACHE_HOME:-$HOME/.cache}/reach-apiserver)
#
# A second run with the binary present returns at once; with the binary gone
# but the Go build cache warm it takes well under a minute.
set -euo pipefail

version="${KUBE_VERSION:-v1.37.2}"
staging="v0.${version#v1.}"
root="${REACH_APISERVER_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/reach-apiserver}"
dir="$root/$version"
bin="$dir/kube-apiserver"

if [ -x "$bin" ]; then
  echo "$bin"
  exit 0
fi

mkdir -p "$dir/src"
cd "$dir/src"

# The repository's CI sets -mod=readonly; this module is resolved here.
export GOFLAGS=-mod=mod
export GOWORK=off

kmod="$(go mod download -json "k8s.io/kubernetes@$version" | sed -n 's/^\t"GoMod": "\(.*\)",$/\1/p')"
if [ -z "$kmod" ] || [ ! -f "$kmod" ]; then
  echo "build-kube-apiserver: cannot download k8s.io/kubernetes@$version" >&2
  exit 1
fi
goversion="$(sed -n 's/^go \([0-9.]*\)$/\1/p' "$kmod")"

{
  echo "module reach.local/kube-apiserver"
  echo
  echo "go $goversion"
  echo
  echo "require k8s.io/kubernetes $version"
  echo
  echo "replace ("
  # Every "k8s.io/x => ./staging/src/k8s.io/x" line of Kubernetes' go.mod.
  sed -n 's#^\t\(k8s\.io/[a-z0-9-]*\) => \./staging/src/k8s\.io/[a-z0-9-]*$#\t\1 => \1 '"$staging"'#p' "$kmod"
  echo ")"
} >go.mod

cat >main.go <<'GO'
// Command kube-apiserver is Kubernetes' API server, built from its module.
package main

import (
	"os"
	_ "time/tzdata"

	"k8s.io/component-base/cli"
	_ "k8s.io/component-base/logs/json/register"
	_ "k8s.io/component-base/metrics/prometheus/clientgo"
	_ "k8s.io/component-base/metrics/prometheus/version"
	"k8s.io/kubernetes/cmd/kube-apiserver/app"
)

func main() {
	os.Exit(cli.Run(app.NewAPIServerCommand()))
}
GO

# -mod=mod (from GOFLAGS) resolves the requirements of the packages built
# and writes go.sum: only what kube-apiserver needs is downloaded, where
# `go mod tidy` would fetch the test dependencies of the whole graph too.
ldflags="-X k8s.io/component-base/version.gitVersion=$version"
ldflags="$ldflags -X k8s.io/component-base/version.gitMajor=1 -X k8s.io/component-base/version.gitMinor=$(echo "$version" | cut -d. -f2)"
go build -trimpath -ldflags "$ldflags" -o "$bin.tmp" . >&2
mv "$bin.tmp" "$bin"
echo "$bin"
