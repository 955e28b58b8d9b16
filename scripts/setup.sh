#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Installs every Debian package S6 needs to build, test and run. Idempotent: does nothing when
# everything is present; otherwise one `apt-get update` and one `apt-get install`.
# As root it installs directly; as another user it escalates with sudo for apt-get only.
# Only Debian packages; nothing is downloaded from elsewhere.
set -euo pipefail

PACKAGES=(
  # toolchain
  build-essential cmake ninja-build pkg-config git clang-format
  # s6c: Clang/LLVM 14 libTooling
  clang-14 llvm-14-dev libclang-14-dev libclang-common-14-dev
  # tests and benchmarks
  googletest libgtest-dev libgmock-dev libbenchmark-dev
  # runtime (micro-threads, transport, packet I/O)
  libboost-context-dev libzmq3-dev cppzmq-dev libpcap-dev
  # options, JSON, logging (CLI11, nlohmann-json, spdlog); jq for the shell tests
  libcli11-dev nlohmann-json3-dev libspdlog-dev jq
  # packet I/O: DPDK 22.11 (memif, pcap, af_packet, ring, null PMDs; dpdk-testpmd)
  libdpdk-dev dpdk dpdk-dev
  # NAT reference and network tests (namespaces, Linux masquerade)
  iproute2 nftables ethtool
  # PRADS: signature matching (PCRE2); the reference prads 0.3.3 and its signature files;
  # Python with dpkt for the differential and benchmark scripts
  libpcre2-dev prads python3 python3-dpkt
  # Snort port: Hyperscan (multi-pattern prefilter), zlib (HTTP body decompression); scapy
  # crafts the per-option test packets
  libhyperscan-dev zlib1g-dev python3-scapy
)

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "setup: all ${#PACKAGES[@]} packages present"
  exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then
    SUDO="sudo"
  else
    echo "setup: need root (or sudo) to install: ${missing[*]}" >&2
    exit 1
  fi
fi
echo "setup: installing ${missing[*]}"
# `env` so the setting survives sudo's environment reset.
$SUDO env DEBIAN_FRONTEND=noninteractive apt-get update -qq
$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
  "${missing[@]}"
