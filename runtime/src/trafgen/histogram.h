// SPDX-License-Identifier: Apache-2.0
// File: trafgen/histogram.h
//
// s6-trafgen's latency histogram is the shared one (stats/histogram.h; instances use it too).
#pragma once

#include "stats/histogram.h"

namespace s6::trafgen {
using LatencyHistogram = stats::LatencyHistogram;
}  // namespace s6::trafgen
