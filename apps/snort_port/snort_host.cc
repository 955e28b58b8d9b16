// SPDX-License-Identifier: Apache-2.0
// Theory of operation: what runs once per process around the Snort NF — variables (Snort 3's
// defaults, then a var file, then each -S), the rule files (every bad rule reported as
// `file:line: ...` and skipped, the totals printed as Snort prints them), the engine compiled
// once per instance, the alert output, and the host's NfDefinition for s6-snort-instance.
#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include <s6/cli.h>

#include "snort_nf.h"

namespace snort {
namespace {

s6::StatusOr<std::string> ReadFile(const std::string& path, std::string_view what) {
  std::ifstream f(path, std::ios::binary);
  if (!f) {
    return s6::InvalidArgumentError("cannot read " + std::string(what) + " '" + path +
                                    "': " + std::strerror(errno));
  }
  std::ostringstream text;
  text << f.rdbuf();
  return text.str();
}

void Report(std::string_view program, const std::string& line) {
  std::fprintf(stderr, "%.*s: %s\n", int(program.size()), program.data(), line.c_str());
}

}  // namespace

s6::StatusOr<SnortNf::Setup> LoadSetup(const SnortOptions& o, uint32_t instance_id,
                                       std::string_view program) {
  if (o.rule_files.empty()) return s6::InvalidArgumentError("no rule file (-c/--rules)");
  if (o.max_queue == 0 || o.log_limit == 0) {
    return s6::InvalidArgumentError("the event queue and the log limit must be at least 1");
  }
  Variables vars;
  if (!o.var_file.empty()) {
    S6_ASSIGN_OR_RETURN(const std::string text, ReadFile(o.var_file, "variable file"));
    S6_RETURN_IF_ERROR(vars.LoadConfig(text, o.var_file));
  }
  for (const std::string& s : o.set_vars) S6_RETURN_IF_ERROR(vars.SetFromArgument(s));
  ParseOptions po;
  po.uncomment_rules = o.enable_all_rules;
  RuleSet set;
  LoadReport report;
  for (const std::string& path : o.rule_files) {
    S6_ASSIGN_OR_RETURN(const std::string text, ReadFile(path, "rule file"));
    AppendRules(text, path, vars, po, &set, &report);
  }
  for (const std::string& w : report.warnings) Report(program, w);
  if (!o.quiet || report.skipped != 0) Report(program, report.Summary());
  S6_ASSIGN_OR_RETURN(Engine engine,
                      Engine::Create(std::move(set), o.naive_engine ? Engine::Mode::kNaive
                                                                    : Engine::Mode::kPrefilter));
  SnortNf::Setup setup;
  setup.engine = std::make_unique<Engine>(std::move(engine));
  setup.max_queue = o.max_queue;
  setup.log_limit = o.log_limit;
  if (!o.alert_path.empty()) {
    std::string path = o.alert_path;
    if (const size_t at = path.find("{id}"); at != std::string::npos) {
      path.replace(at, 4, std::to_string(instance_id));
    }
    S6_ASSIGN_OR_RETURN(setup.alerts, AlertOutput::Open(path, o.format));
  }
  return setup;
}

void AddSnortOptions(CLI::App& app, SnortOptions& o) {
  app.add_option("-R,--rules", o.rule_files, "a rules file (Snort 2.9 syntax); repeatable")
      ->check(CLI::ExistingFile);
  app.add_option("-S", o.set_vars, "set a rule variable: NAME=VALUE (e.g. HOME_NET=10.0.0.0/8)");
  app.add_option("--vars", o.var_file, "a file of `var|ipvar|portvar NAME VALUE` lines")
      ->check(CLI::ExistingFile);
  app.add_flag("--enable-all-rules", o.enable_all_rules,
               "also load the rules that are commented out in the rule files");
  app.add_option("--alerts", o.alert_path,
                 "append alerts to this file (\"-\": stdout); {id} becomes the instance id");
  app.add_option("--alert-format", o.format, "fast (Snort's alert_fast) or json (alert_json)")
      ->transform(CLI::CheckedTransformer(std::map<std::string, AlertOutput::Format>{
          {"fast", AlertOutput::Format::kFast}, {"json", AlertOutput::Format::kJson}}));
  app.add_flag("--naive-engine", o.naive_engine,
               "verify every rule on every packet, no prefilter (the benchmark's baseline)");
  app.add_option("--event-queue", o.max_queue, "events kept per packet (event_queue.max_queue)")
      ->check(s6::cli::Count(1, 1000, "events"));
  app.add_option("--event-log", o.log_limit, "events logged per packet (event_queue.log)")
      ->check(s6::cli::Count(1, 1000, "events"));
}

s6::host::NfDefinition SnortDefinition(SnortOptions& o) {
  return {.name = "snort",
          .description = "a signature IDS reading Snort rules (Snort 3's detection) on S6",
          .add_options = [&o](CLI::App& app) { AddSnortOptions(app, o); },
          .validate = [&o]() -> s6::Status {
            if (o.rule_files.empty()) return s6::InvalidArgumentError("--rules is required");
            return s6::OkStatus();
          },
          .create = [&o](s6::Space& space) -> s6::StatusOr<std::unique_ptr<s6::NetworkFunction>> {
            S6_ASSIGN_OR_RETURN(SnortNf::Setup setup,
                                LoadSetup(o, s6::ToUint(space.self()), "s6-snort"));
            return std::unique_ptr<s6::NetworkFunction>(
                std::make_unique<SnortNf>(space, std::move(setup)));
          }};
}

}  // namespace snort
