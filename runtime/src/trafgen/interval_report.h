// SPDX-License-Identifier: Apache-2.0
// File: trafgen/interval_report.h
//
// s6-trafgen's reports per reporting interval, written while the run goes: CSV rows (--csv,
// one per instance that carried traffic) and JSON lines (--interval-json, one per interval).
//
// Theory of operation: both files are opened (and the CSV header written) before sending
// starts; each interval appends its rows and flushes at once, because controllers (s6ctl) tail
// the files live. The CSV's throughput is the interval's received packets over the configured
// interval length, as it always was; the JSON lines use the measured length (report.h).
#pragma once

#include <cstdint>
#include <fstream>
#include <string>
#include <unordered_map>
#include <vector>

#include <s6/status.h>
#include "trafgen/report.h"
#include "trafgen/traffic.h"

namespace s6::trafgen {

class IntervalReport {
 public:
  /// Opens the files whose paths are not empty; InvalidArgument if one cannot be created.
  static StatusOr<IntervalReport> Open(const std::string& csv_path, const std::string& json_path,
                                       int interval_ms);

  /// The interval ending `t_ms` after the start, `interval_s` long, with its per-instance stats
  /// and the links as they are now.
  void Write(double t_ms, double interval_s,
             const std::unordered_map<uint32_t, IntervalStats>& interval,
             const std::vector<LinkState>& links);

  /// The CSV header line (with its newline).
  static const char* CsvHeader();
  /// The CSV row of one instance's interval (with its newline).
  static std::string CsvRow(uint64_t t_ms, uint32_t instance, const IntervalStats& s,
                            int interval_ms);

 private:
  IntervalReport() = default;

  int interval_ms_ = 100;
  std::ofstream csv_;
  std::ofstream json_;
};

}  // namespace s6::trafgen
