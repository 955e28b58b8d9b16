// SPDX-License-Identifier: Apache-2.0
#include "command_line.h"

#include <algorithm>
#include <set>
#include <utility>

#include "clang/Basic/Version.h"
#include "driver.h"
#include "emitter.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/raw_ostream.h"

namespace s6c {
namespace {

namespace cl = llvm::cl;

// llvm::cl options are process-wide registrations; ParseCommandLine resets them on every call.
cl::OptionCategory category("s6c options");

cl::list<std::string> headers(cl::Positional, cl::ZeroOrMore, cl::desc("<header>..."),
                              cl::cat(category));

cl::opt<std::string> out_dir(
    "o", cl::value_desc("outdir"), cl::cat(category),
    cl::desc(
        "Output directory for <stem>.s6.h/.s6.cc, created if missing. Default: none, required"));

cl::list<std::string> include_dirs(
    "I", cl::Prefix, cl::value_desc("dir"), cl::cat(category),
    cl::desc("Add an include directory (also -I<dir>), repeatable. Default: none extra"));

cl::list<std::string> defines(
    "D", cl::Prefix, cl::value_desc("name[=value]"), cl::cat(category),
    cl::desc("Define a macro (also -D<name>), repeatable. Default: only S6C=1"));

cl::opt<std::string> depfile(
    "depfile", cl::value_desc("file"), cl::cat(category),
    cl::desc("Write a Makefile-style dependency file for the first output. Default: none"));

// Arguments that look like options but are none of the above; reported by s6c (one line,
// exit status 2) instead of by llvm::cl.
cl::list<std::string> unknown(cl::Sink, cl::Hidden);

// `--` is split off before llvm::cl runs, so it is documented here.
cl::extrahelp extra_help(R"(
  --                - Pass the remaining arguments to Clang unchanged. Default: none

Each header's own directory and the s6 runtime headers are always on the include path.

exit status: 0 ok, 1 errors in the input (reported as file:line:col: error: ...),
2 usage errors.
)");

constexpr const char* kOverview =
    "the S6 state-class compiler\n"
    "\n"
    "  s6c <header>... -o <outdir> [options] [-- <clang-arg>...]\n"
    "\n"
    "Generates, for every state class (deriving from s6::SingleWriter or s6::MultiWriter) in\n"
    "each header, a codec, a stub, a skeleton and a type descriptor, written to\n"
    "<outdir>/<stem>.s6.h and <outdir>/<stem>.s6.cc. Plain structs in the headers get codecs\n"
    "so they can be map keys.\n";

int UsageError(const std::string& msg) {
  llvm::errs() << "s6c: error: " << msg << " (run 's6c --help' for usage)\n";
  return kExitUsage;
}

void PrintVersion(llvm::raw_ostream& os) {
  os << "s6c " << kVersion << " (Clang " << CLANG_VERSION_STRING << ")\n";
}

// Runs llvm::cl over `args`; returns false after a usage error was reported.
bool ParseOptions(const std::vector<std::string>& args) {
  cl::ResetAllOptionOccurrences();
  cl::HideUnrelatedOptions(category);
  cl::SetVersionPrinter(PrintVersion);
  std::vector<const char*> argv = {"s6c"};
  for (const std::string& a : args) argv.push_back(a.c_str());
  // llvm::cl reports most errors itself (one line each, on stderr); the rest land here.
  std::string errors;
  llvm::raw_string_ostream errors_os(errors);
  const bool ok = cl::ParseCommandLineOptions(static_cast<int>(argv.size()), argv.data(), kOverview,
                                              &errors_os);
  errors_os.flush();
  llvm::errs() << errors;
  if (!ok) return false;
  if (!unknown.empty()) {
    UsageError("unknown option '" + unknown.front() + "'");
    return false;
  }
  return true;
}

// -I and -D values in the order they were given, as Clang arguments.
std::vector<std::string> PreprocessorArgs() {
  std::vector<std::pair<unsigned, std::string>> positioned;
  for (unsigned i = 0; i < include_dirs.size(); ++i) {
    positioned.emplace_back(include_dirs.getPosition(i), "-I" + include_dirs[i]);
  }
  for (unsigned i = 0; i < defines.size(); ++i) {
    positioned.emplace_back(defines.getPosition(i), "-D" + defines[i]);
  }
  std::sort(positioned.begin(), positioned.end());
  std::vector<std::string> out;
  for (auto& [position, arg] : positioned) out.push_back(std::move(arg));
  return out;
}

// The checks llvm::cl can't express: values present, inputs readable, outputs distinct.
std::optional<int> Validate(const Options& opt) {
  auto has_empty = [](const cl::list<std::string>& values) {
    return std::any_of(values.begin(), values.end(), [](const auto& v) { return v.empty(); });
  };
  if (has_empty(include_dirs)) return UsageError("option '-I' needs a value");
  if (has_empty(defines)) return UsageError("option '-D' needs a value");
  if (depfile.getNumOccurrences() != 0 && opt.depfile.empty()) {
    return UsageError("option '--depfile' needs a value");
  }
  if (opt.headers.empty()) return UsageError("no input headers");
  if (opt.out_dir.empty()) return UsageError("no output directory (-o OUTDIR)");
  std::set<std::string> stems;
  for (const std::string& h : opt.headers) {
    if (!llvm::sys::fs::is_regular_file(h)) return UsageError("cannot read header '" + h + "'");
    if (!stems.insert(llvm::sys::path::stem(h).str()).second) {
      return UsageError("two inputs named '" + llvm::sys::path::stem(h).str() +
                        "': their outputs would collide");
    }
  }
  return std::nullopt;
}

}  // namespace

std::optional<int> ParseCommandLine(const std::vector<std::string>& args, Options& opt) {
  const auto dash_dash = std::find(args.begin(), args.end(), "--");
  if (!ParseOptions(std::vector<std::string>(args.begin(), dash_dash))) return kExitUsage;
  opt.headers.assign(headers.begin(), headers.end());
  opt.out_dir = out_dir;
  opt.depfile = depfile;
  opt.clang_args = PreprocessorArgs();
  if (dash_dash != args.end()) {
    opt.clang_args.insert(opt.clang_args.end(), dash_dash + 1, args.end());
  }
  return Validate(opt);
}

}  // namespace s6c
