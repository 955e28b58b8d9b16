// SPDX-License-Identifier: Apache-2.0
#include "trafgen/interval_report.h"

#include <sstream>

namespace s6::trafgen {

StatusOr<IntervalReport> IntervalReport::Open(const std::string& csv_path,
                                              const std::string& json_path, int interval_ms) {
  IntervalReport r;
  r.interval_ms_ = interval_ms;
  if (!csv_path.empty()) {
    r.csv_.open(csv_path);
    if (!r.csv_) return InvalidArgumentError("cannot write --csv '" + csv_path + "'");
    r.csv_ << CsvHeader();
    r.csv_.flush();
  }
  if (!json_path.empty()) {
    r.json_.open(json_path);
    if (!r.json_) return InvalidArgumentError("cannot write --interval-json '" + json_path + "'");
  }
  return r;
}

const char* IntervalReport::CsvHeader() {
  return "t_ms,instance,sent,received,reordered,throughput_pps,p50_us,p90_us,p99_us,p999_us,"
         "max_us\n";
}

std::string IntervalReport::CsvRow(uint64_t t_ms, uint32_t instance, const IntervalStats& s,
                                   int interval_ms) {
  std::ostringstream row;
  row << t_ms << ',' << instance << ',' << s.sent << ',' << s.received << ',' << s.reordered << ','
      << static_cast<uint64_t>(static_cast<double>(s.received) * 1000.0 / interval_ms) << ','
      << s.latency.Percentile(0.5) / 1000.0 << ',' << s.latency.Percentile(0.9) / 1000.0 << ','
      << s.latency.Percentile(0.99) / 1000.0 << ',' << s.latency.Percentile(0.999) / 1000.0 << ','
      << s.latency.max() / 1000.0 << '\n';
  return row.str();
}

void IntervalReport::Write(double t_ms, double interval_s,
                           const std::unordered_map<uint32_t, IntervalStats>& interval,
                           const std::vector<LinkState>& links) {
  if (csv_.is_open()) {
    for (const auto& [instance, s] : interval) {
      csv_ << CsvRow(static_cast<uint64_t>(t_ms), instance, s, interval_ms_);
    }
    csv_.flush();  // s6ctl reads it live
  }
  if (json_.is_open()) {
    json_ << Dump(IntervalJson(t_ms, interval_s, interval, links)) << '\n';
    json_.flush();  // a controller tails it live
  }
}

}  // namespace s6::trafgen
