#!/usr/bin/env bash
# Installs what is missing (Debian 12 packages), then configures and builds
# nnc into ./build. Safe to run again: installed packages are skipped and the
# build is incremental (ccache).
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(
  llvm-19-dev llvm-19-tools libzstd-dev zlib1g-dev libxml2-dev libffi-dev libz3-dev
  libncurses-dev antlr4 libantlr4-runtime-dev uuid-dev libfmt-dev libgtest-dev
  libgmock-dev cmake ninja-build g++ python3 python3-numpy mold ccache libcli11-dev libcsv-dev
  nlohmann-json3-dev python3-pandas time clang-19 libclang-rt-19-dev
)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "nnc setup: installing ${missing[*]}"
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -q
  $sudo apt-get install -y -q -o DPkg::Lock::Timeout=600 "${missing[@]}"
fi

cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DNNC_WERROR=ON >/dev/null
cmake --build build
