// SPDX-License-Identifier: Apache-2.0
// s6c diagnostics tests. Every `*.h` directly in this folder (S6_DIAG_DIR) is a header that s6c
// must reject: the runner runs the real s6c binary (S6C_PATH) as `s6c CASE.h -o FRESH_DIR` and
// checks that it exits with 1, writes nothing into FRESH_DIR, and prints exactly the
// diagnostics that the case announces inline. Files in subfolders (support/) are helpers, not
// cases. The runner also has sanity checks (a valid header is accepted, enough cases exist, the
// checker itself rejects mismatches) and tests of s6c's command line.
//
// Expectation format (a small subset of `clang -verify`), written in a comment of the case:
//
//   int* p;  // expected-error {{raw pointers}}        an error on this line whose message
//                                                       contains "raw pointers"
//   // expected-note {{used by field}}                  the same, for a note
//   // expected-warning {{...}}                         the same, for a warning
//   // expected-error@+1 {{...}}                        on the next line (@-N: N lines above)
//   // expected-error@support/types.h:9 {{...}}         at line 9 of that file, relative to the
//                                                       case's folder
//
// Several directives may share a line; each carries exactly one {{...}} and matches exactly one
// diagnostic. Only the case file itself is scanned for directives. Columns are not compared.
// Rules:
//   - every error s6c prints must match an expectation (an error without a location, such as
//     `s6c: error: ...`, never does);
//   - every note or warning located in this folder (the case or support/) must match one; notes
//     elsewhere, e.g. Clang's "expanded from macro" notes in s6/object.h, are ignored;
//   - every expectation must be matched, and each case needs at least one expected-error.
#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <optional>
#include <regex>
#include <sstream>
#include <string>
#include <system_error>
#include <vector>

#include "gtest/gtest.h"

#ifndef S6C_PATH
#error "S6C_PATH must name the s6c binary"
#endif
#ifndef S6_DIAG_DIR
#error "S6_DIAG_DIR must name the diagnostics test folder"
#endif

extern char** environ;

namespace {

namespace fs = std::filesystem;

constexpr int kExitOk = 0;
constexpr int kExitDiagnostics = 1;
constexpr int kExitUsage = 2;
constexpr std::size_t kMinCases = 20;

const fs::path kS6c = S6C_PATH;
const fs::path kDiagDir = S6_DIAG_DIR;
const fs::path kValidControl = kDiagDir / "support" / "valid_control.h";

// ---- processes and files ----

std::string ReadFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::vector<std::string> SplitLines(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

// A fresh directory under the system temp dir, removed with everything in it.
class TempDir {
 public:
  TempDir() {
    std::string tmpl = (fs::temp_directory_path() / "s6c_diag_XXXXXX").string();
    if (mkdtemp(tmpl.data()) == nullptr) {
      ADD_FAILURE() << "mkdtemp(" << tmpl << ") failed: " << std::strerror(errno);
    }
    path_ = tmpl;
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

struct RunResult {
  int exit_code = -1;  // the exit status, or -1 if s6c did not exit normally
  std::string out;
  std::string err;
  std::string command;

  // Everything a failure message should show.
  std::string Describe() const {
    std::ostringstream ss;
    ss << "command: " << command << "\nexit code: " << exit_code << "\n--- s6c stdout ---\n"
       << out << "--- s6c stderr ---\n"
       << err << "--- end of s6c output ---";
    return ss.str();
  }
};

// Runs s6c with `args`; its stdout and stderr go to files in `scratch` and are read back.
RunResult RunS6c(const std::vector<std::string>& args, const fs::path& scratch) {
  RunResult result;
  std::vector<std::string> argv_storage = {kS6c.string()};
  argv_storage.insert(argv_storage.end(), args.begin(), args.end());
  for (const std::string& a : argv_storage)
    result.command += (result.command.empty() ? "" : " ") + a;
  std::vector<char*> argv;
  for (std::string& a : argv_storage) argv.push_back(a.data());
  argv.push_back(nullptr);

  const std::string out_path = (scratch / "s6c.stdout").string();
  const std::string err_path = (scratch / "s6c.stderr").string();
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, out_path.c_str(),
                                   O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, err_path.c_str(),
                                   O_WRONLY | O_CREAT | O_TRUNC, 0644);
  pid_t pid = 0;
  const int rc = posix_spawn(&pid, argv[0], &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) {
    result.err = std::string("posix_spawn failed: ") + std::strerror(rc) + "\n";
    return result;
  }
  int status = 0;
  while (waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) {
      result.err = std::string("waitpid failed: ") + std::strerror(errno) + "\n";
      return result;
    }
  }
  if (WIFEXITED(status)) result.exit_code = WEXITSTATUS(status);
  result.out = ReadFile(out_path);
  result.err = ReadFile(err_path);
  if (WIFSIGNALED(status)) {
    result.err += "(s6c was killed by signal " + std::to_string(WTERMSIG(status)) + ")\n";
  }
  return result;
}

// The files under `dir` (recursively), as paths relative to it; empty if `dir` is missing.
std::vector<std::string> FilesUnder(const fs::path& dir) {
  std::vector<std::string> files;
  std::error_code ec;
  if (!fs::exists(dir, ec)) return files;
  for (const auto& e : fs::recursive_directory_iterator(dir, ec)) {
    files.push_back(fs::relative(e.path(), dir, ec).string());
  }
  std::sort(files.begin(), files.end());
  return files;
}

std::string Join(const std::vector<std::string>& items) {
  std::string s;
  for (const std::string& i : items) s += (s.empty() ? "" : ", ") + i;
  return s;
}

// Paths compare after resolving symlinks and dots, so that s6c's absolute paths match ours.
std::string Canonical(const fs::path& p) {
  std::error_code ec;
  fs::path c = fs::weakly_canonical(p, ec);
  return ec ? p.lexically_normal().string() : c.string();
}

// ---- diagnostics and expectations ----

enum class Kind { kError, kWarning, kNote };

std::string KindName(Kind k) {
  switch (k) {
    case Kind::kError:
      return "error";
    case Kind::kWarning:
      return "warning";
    case Kind::kNote:
      return "note";
  }
  return "?";
}

std::optional<Kind> ParseKind(const std::string& s) {
  if (s == "error" || s == "fatal error") return Kind::kError;
  if (s == "warning") return Kind::kWarning;
  if (s == "note") return Kind::kNote;
  return std::nullopt;
}

struct Diagnostic {
  Kind kind = Kind::kError;
  std::string file;  // canonical; empty when the diagnostic has no location
  int line = 0;
  std::string message;
  std::string text;  // the line as printed
};

struct ParsedOutput {
  std::vector<Diagnostic> diagnostics;
  int errors_generated = 0;  // sum of Clang's "N error(s) generated." lines
};

// Picks the diagnostics out of s6c's stderr (Clang's text format; source excerpts, carets and
// "In file included from" lines are skipped).
ParsedOutput ParseDiagnostics(const std::string& err) {
  static const std::regex kLocated(
      R"(^(.+?):(\d+):(\d+): (fatal error|error|warning|note): (.*)$)");
  static const std::regex kUnlocated(R"(^(?:s6c: )?(fatal error|error): (.*)$)");
  static const std::regex kGenerated(R"(^(\d+) errors? generated\.$)");
  ParsedOutput parsed;
  for (const std::string& line : SplitLines(err)) {
    std::smatch m;
    if (std::regex_match(line, m, kLocated)) {
      parsed.diagnostics.push_back(
          {*ParseKind(m[4]), Canonical(m[1].str()), std::stoi(m[2]), m[5], line});
    } else if (std::regex_match(line, m, kUnlocated)) {
      parsed.diagnostics.push_back({Kind::kError, "", 0, m[2], line});
    } else if (std::regex_match(line, m, kGenerated)) {
      parsed.errors_generated += std::stoi(m[1]);
    }
  }
  return parsed;
}

struct Expectation {
  Kind kind = Kind::kError;
  std::string file;  // canonical
  int line = 0;
  std::string substring;
  int directive_line = 0;  // where the directive is written in the case
  bool matched = false;
};

struct ParsedExpectations {
  std::vector<Expectation> expectations;
  std::vector<std::string> problems;  // malformed directives
};

// Reads the expected-* directives of `case_file` (see the format at the top of this file).
ParsedExpectations ParseExpectations(const fs::path& case_file, const std::string& text) {
  static const std::regex kDirective(
      R"(expected-(error|warning|note)(?:@(?:([+-]\d+)|([^\s{:]+):(\d+)))?\s*\{\{(.*?)\}\})");
  static const std::regex kStart(R"(expected-(error|warning|note))");
  ParsedExpectations parsed;
  const std::vector<std::string> lines = SplitLines(text);
  for (std::size_t i = 0; i < lines.size(); ++i) {
    const std::string& line = lines[i];
    const int line_no = static_cast<int>(i) + 1;
    for (auto it = std::sregex_iterator(line.begin(), line.end(), kStart);
         it != std::sregex_iterator(); ++it) {
      std::smatch m;
      const auto from = line.begin() + it->position();
      if (!std::regex_search(from, line.end(), m, kDirective,
                             std::regex_constants::match_continuous)) {
        parsed.problems.push_back(case_file.filename().string() + ":" + std::to_string(line_no) +
                                  ": malformed directive: " + std::string(from, line.end()));
        continue;
      }
      Expectation e;
      e.kind = *ParseKind(m[1]);
      e.file = Canonical(case_file);
      e.line = line_no;
      e.directive_line = line_no;
      e.substring = m[5];
      if (m[2].matched) {
        e.line = line_no + std::stoi(m[2]);
      } else if (m[3].matched) {
        e.file = Canonical(case_file.parent_path() / m[3].str());
        e.line = std::stoi(m[4]);
        if (!fs::exists(e.file)) {
          parsed.problems.push_back(case_file.filename().string() + ":" + std::to_string(line_no) +
                                    ": no such file '" + m[3].str() + "'");
        }
      }
      if (e.line < 1) {
        parsed.problems.push_back(case_file.filename().string() + ":" + std::to_string(line_no) +
                                  ": line offset points before the file");
      }
      if (e.substring.empty()) {
        parsed.problems.push_back(case_file.filename().string() + ":" + std::to_string(line_no) +
                                  ": empty {{}} matches anything; quote part of the message");
      }
      parsed.expectations.push_back(e);
    }
  }
  return parsed;
}

bool IsUnder(const std::string& file, const std::string& dir) {
  return file.size() > dir.size() && file.compare(0, dir.size(), dir) == 0 &&
         file[dir.size()] == '/';
}

// Matches the printed diagnostics against the expectations; returns the mismatches (empty when
// everything lines up).
std::vector<std::string> Verify(const ParsedOutput& output, std::vector<Expectation> expected,
                                const std::string& checked_dir) {
  std::vector<std::string> problems;
  int located_errors = 0;
  for (const Diagnostic& d : output.diagnostics) {
    if (d.kind == Kind::kError && !d.file.empty()) ++located_errors;
    const bool checked = d.kind == Kind::kError || IsUnder(d.file, checked_dir);
    if (!checked) continue;
    auto it = std::find_if(expected.begin(), expected.end(), [&](const Expectation& e) {
      return !e.matched && e.kind == d.kind && !d.file.empty() && e.file == d.file &&
             e.line == d.line && d.message.find(e.substring) != std::string::npos;
    });
    if (it != expected.end()) {
      it->matched = true;
    } else {
      problems.push_back("unexpected " + KindName(d.kind) + ": " + d.text);
    }
  }
  for (const Expectation& e : expected) {
    if (e.matched) continue;
    problems.push_back("expected " + KindName(e.kind) + " at " + e.file + ":" +
                       std::to_string(e.line) + " containing {{" + e.substring +
                       "}} (directive on line " + std::to_string(e.directive_line) +
                       ") was not printed");
  }
  if (output.errors_generated != located_errors) {
    problems.push_back("Clang counted " + std::to_string(output.errors_generated) +
                       " error(s) but the runner parsed " + std::to_string(located_errors) +
                       " located error line(s); the output format may have changed");
  }
  return problems;
}

// ---- the cases ----

// Every *.h directly in S6_DIAG_DIR, by file name, sorted.
std::vector<std::string> DiscoverCases() {
  std::vector<std::string> cases;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(kDiagDir, ec)) {
    if (e.is_regular_file() && e.path().extension() == ".h") {
      cases.push_back(e.path().filename().string());
    }
  }
  std::sort(cases.begin(), cases.end());
  return cases;
}

std::string CaseTestName(const testing::TestParamInfo<std::string>& info) {
  std::string name = fs::path(info.param).stem().string();
  for (char& c : name) {
    if (std::isalnum(static_cast<unsigned char>(c)) == 0) c = '_';
  }
  return name;
}

class S6cDiagnosticsTest : public testing::TestWithParam<std::string> {};

TEST_P(S6cDiagnosticsTest, ReportsExactlyTheExpectedDiagnostics) {
  const fs::path case_file = kDiagDir / GetParam();
  const std::string source = ReadFile(case_file);
  ASSERT_FALSE(source.empty()) << "cannot read " << case_file;

  const ParsedExpectations expectations = ParseExpectations(case_file, source);
  ASSERT_TRUE(expectations.problems.empty()) << Join(expectations.problems);
  ASSERT_TRUE(std::any_of(expectations.expectations.begin(), expectations.expectations.end(),
                          [](const Expectation& e) { return e.kind == Kind::kError; }))
      << case_file << " has no expected-error directive; every case must announce its error";

  TempDir scratch;
  const fs::path out_dir = scratch.path() / "out";
  ASSERT_TRUE(fs::create_directory(out_dir));
  const RunResult run = RunS6c({case_file.string(), "-o", out_dir.string()}, scratch.path());

  EXPECT_EQ(run.exit_code, kExitDiagnostics)
      << "s6c must reject " << GetParam() << " with exit code 1\n"
      << run.Describe();
  const std::vector<std::string> written = FilesUnder(out_dir);
  EXPECT_TRUE(written.empty()) << "s6c wrote output for a rejected header: " << Join(written)
                               << "\n"
                               << run.Describe();
  const std::vector<std::string> problems =
      Verify(ParseDiagnostics(run.err), expectations.expectations, Canonical(kDiagDir));
  if (!problems.empty()) {
    std::string list;
    for (const std::string& p : problems) list += "  - " + p + "\n";
    ADD_FAILURE() << "diagnostics of " << GetParam() << " don't match its expectations:\n"
                  << list << run.Describe();
  }
}

INSTANTIATE_TEST_SUITE_P(Cases, S6cDiagnosticsTest, testing::ValuesIn(DiscoverCases()),
                         CaseTestName);

// ---- sanity checks: the suite can't pass vacuously ----

TEST(S6cDiagnosticsSuite, FindsEnoughCases) {
  const std::vector<std::string> cases = DiscoverCases();
  EXPECT_GE(cases.size(), kMinCases)
      << "found only " << cases.size() << " case(s) in " << kDiagDir << ": " << Join(cases);
}

TEST(S6cDiagnosticsSuite, AcceptsValidControlHeader) {
  TempDir scratch;
  const fs::path out_dir = scratch.path() / "out";
  ASSERT_TRUE(fs::create_directory(out_dir));
  const RunResult run = RunS6c({kValidControl.string(), "-o", out_dir.string()}, scratch.path());
  ASSERT_EQ(run.exit_code, kExitOk) << run.Describe();
  for (const char* name : {"valid_control.s6.h", "valid_control.s6.cc"}) {
    const fs::path p = out_dir / name;
    EXPECT_TRUE(fs::is_regular_file(p)) << p << " was not written\n" << run.Describe();
    EXPECT_FALSE(ReadFile(p).empty()) << p << " is empty";
  }
  EXPECT_EQ(FilesUnder(out_dir).size(), 2u) << Join(FilesUnder(out_dir));
  EXPECT_TRUE(ParseDiagnostics(run.err).diagnostics.empty()) << run.Describe();
}

TEST(S6cDiagnosticsSuite, CheckerRejectsMismatches) {
  const fs::path case_file = kDiagDir / "synthetic.h";
  const std::string file = Canonical(case_file);
  const std::string dir = Canonical(kDiagDir);
  const ParsedExpectations ex =
      ParseExpectations(case_file,
                        "int a;  // expected-error {{bad a}} expected-note@+1 {{see b}}\n"
                        "int b;\n"
                        "// expected-error@-2 {{also a}}\n"
                        "int c;  // expected-error@support/valid_control.h:2 {{elsewhere}}\n");
  ASSERT_TRUE(ex.problems.empty()) << Join(ex.problems);
  ASSERT_EQ(ex.expectations.size(), 4u);
  EXPECT_EQ(ex.expectations[1].line, 2);
  EXPECT_EQ(ex.expectations[2].line, 1);
  EXPECT_EQ(ex.expectations[3].file, Canonical(kValidControl));
  EXPECT_EQ(ex.expectations[3].line, 2);

  const std::string support = Canonical(kValidControl);
  const std::string all_match =
      file + ":1:5: error: bad a here\n" + file + ":2:5: note: see b there\n" + file +
      ":1:1: error: also a\n" + support + ":2:1: error: elsewhere\n" +
      "/usr/include/x.h:3:1: note: expanded from macro 'X'\n" + "3 errors generated.\n";
  EXPECT_TRUE(Verify(ParseDiagnostics(all_match), ex.expectations, dir).empty())
      << Join(Verify(ParseDiagnostics(all_match), ex.expectations, dir));

  // Wrong line, wrong text, an extra error, an unlocated error, an extra note in the case.
  const std::string mismatched = file + ":2:5: error: bad a here\n" + file + ":2:5: note: see c\n" +
                                 file + ":1:1: error: also a\n" + support +
                                 ":2:1: error: elsewhere\n" + file + ":4:1: error: surprise\n" +
                                 "s6c: error: boom\n" + "4 errors generated.\n";
  const std::vector<std::string> problems =
      Verify(ParseDiagnostics(mismatched), ex.expectations, dir);
  // bad a (unexpected + missing), see c/see b (unexpected + missing), surprise, boom.
  EXPECT_EQ(problems.size(), 6u) << Join(problems);

  const ParsedExpectations bad = ParseExpectations(case_file, "int a;  // expected-error bad\n");
  EXPECT_EQ(bad.problems.size(), 1u);
}

// ---- the command line ----

class S6cCliTest : public testing::Test {
 protected:
  RunResult Run(const std::vector<std::string>& args) { return RunS6c(args, scratch_.path()); }
  fs::path OutDir() const { return scratch_.path() / "out"; }

  TempDir scratch_;
};

TEST_F(S6cCliTest, HelpPrintsUsage) {
  const RunResult run = Run({"--help"});
  EXPECT_EQ(run.exit_code, kExitOk) << run.Describe();
  EXPECT_NE(run.out.find("usage"), std::string::npos) << run.Describe();
}

TEST_F(S6cCliTest, VersionPrintsVersion) {
  const RunResult run = Run({"--version"});
  EXPECT_EQ(run.exit_code, kExitOk) << run.Describe();
  EXPECT_NE(run.out.find("s6c"), std::string::npos) << run.Describe();
}

TEST_F(S6cCliTest, NoArgumentsIsUsageError) {
  const RunResult run = Run({});
  EXPECT_EQ(run.exit_code, kExitUsage) << run.Describe();
  EXPECT_NE(run.err.find("s6c: error:"), std::string::npos) << run.Describe();
}

TEST_F(S6cCliTest, UnknownOptionIsUsageError) {
  const RunResult run = Run({"--frobnicate", kValidControl.string(), "-o", OutDir().string()});
  EXPECT_EQ(run.exit_code, kExitUsage) << run.Describe();
  EXPECT_NE(run.err.find("--frobnicate"), std::string::npos) << run.Describe();
  EXPECT_TRUE(FilesUnder(OutDir()).empty()) << Join(FilesUnder(OutDir()));
}

TEST_F(S6cCliTest, MissingOutputDirIsUsageError) {
  const RunResult run = Run({kValidControl.string()});
  EXPECT_EQ(run.exit_code, kExitUsage) << run.Describe();
  EXPECT_NE(run.err.find("-o"), std::string::npos) << run.Describe();
}

TEST_F(S6cCliTest, OutputOptionWithoutValueIsUsageError) {
  const RunResult run = Run({kValidControl.string(), "-o"});
  EXPECT_EQ(run.exit_code, kExitUsage) << run.Describe();
}

TEST_F(S6cCliTest, NonexistentHeaderIsUsageError) {
  const fs::path missing = scratch_.path() / "no_such_header.h";
  const RunResult run = Run({missing.string(), "-o", OutDir().string()});
  EXPECT_EQ(run.exit_code, kExitUsage) << run.Describe();
  EXPECT_NE(run.err.find("no_such_header.h"), std::string::npos) << run.Describe();
  EXPECT_TRUE(FilesUnder(OutDir()).empty()) << Join(FilesUnder(OutDir()));
}

TEST_F(S6cCliTest, InputsWithSameStemAreUsageError) {
  // Both would produce OUTDIR/same.s6.{h,cc}.
  const fs::path a = scratch_.path() / "a" / "same.h";
  const fs::path b = scratch_.path() / "b" / "same.h";
  for (const fs::path& p : {a, b}) {
    ASSERT_TRUE(fs::create_directories(p.parent_path()));
    fs::copy_file(kValidControl, p);
  }
  const RunResult run = Run({a.string(), b.string(), "-o", OutDir().string()});
  EXPECT_EQ(run.exit_code, kExitUsage) << run.Describe();
  EXPECT_NE(run.err.find("same"), std::string::npos) << run.Describe();
  EXPECT_TRUE(FilesUnder(OutDir()).empty()) << Join(FilesUnder(OutDir()));
}

// The line of `help` that documents `option`: its first word is the option itself, or the
// option followed by '=' and its value (llvm::cl spells "-o=<outdir>").
std::string HelpLineOf(const std::string& help, const std::string& option) {
  for (const std::string& line : SplitLines(help)) {
    std::istringstream words(line);
    std::string first;
    words >> first;
    if (first == option || first.rfind(option + "=", 0) == 0) return line;
  }
  return "";
}

TEST_F(S6cCliTest, HelpListsEveryOptionWithItsDefault) {
  const RunResult run = Run({"--help"});
  ASSERT_EQ(run.exit_code, kExitOk) << run.Describe();
  for (const std::string option : {"-o", "-I", "-D", "--depfile", "--"}) {
    const std::string line = HelpLineOf(run.out, option);
    EXPECT_FALSE(line.empty()) << "no help line for " << option << "\n" << run.Describe();
    EXPECT_NE(line.find("Default:"), std::string::npos)
        << "help line for " << option << " gives no default: " << line;
  }
  for (const std::string option : {"--help", "--version"}) {
    EXPECT_FALSE(HelpLineOf(run.out, option).empty()) << option << "\n" << run.Describe();
  }
  // LLVM's own options (hundreds, linked in with Clang) are not s6c's to document.
  EXPECT_TRUE(HelpLineOf(run.out, "--print-after-all").empty()) << run.Describe();
}

TEST_F(S6cCliTest, BadOptionIsOneLineUsageError) {
  // Unknown, misspelt (llvm::cl would add a "did you mean" line), single-dash, missing value.
  const std::vector<std::vector<std::string>> bad = {
      {"--frobnicate", kValidControl.string(), "-o", OutDir().string()},
      {"--depfle", "x.d", kValidControl.string(), "-o", OutDir().string()},
      {"-x", kValidControl.string(), "-o", OutDir().string()},
      {kValidControl.string(), "-o", OutDir().string(), "--depfile"},
  };
  for (const std::vector<std::string>& args : bad) {
    const RunResult run = Run(args);
    EXPECT_EQ(run.exit_code, kExitUsage) << run.Describe();
    EXPECT_EQ(SplitLines(run.err).size(), 1u) << run.Describe();
    EXPECT_NE(run.err.find("s6c:"), std::string::npos) << run.Describe();
    EXPECT_TRUE(run.out.empty()) << run.Describe();
    EXPECT_TRUE(FilesUnder(OutDir()).empty()) << Join(FilesUnder(OutDir()));
  }
}

// A header that compiles only when S6C_CLI_FLAG is defined and cli_inc.h is on the include path.
class S6cCliArgsTest : public S6cCliTest {
 protected:
  void SetUp() override {
    fs::create_directories(IncDir());
    std::ofstream(IncDir() / "cli_inc.h") << "#pragma once\nstruct CliInc { int v; };\n";
    std::ofstream(Header()) << "#pragma once\n#ifndef S6C_CLI_FLAG\n#error S6C_CLI_FLAG\n#endif\n"
                               "#include \"cli_inc.h\"\nstruct CliPoint { int x; };\n";
  }
  fs::path IncDir() const { return scratch_.path() / "inc"; }
  fs::path Header() const { return scratch_.path() / "cli_args.h"; }
};

TEST_F(S6cCliArgsTest, IncludeAndDefineReachClangInEveryForm) {
  const std::string h = Header().string();
  const std::string inc = IncDir().string();
  const std::string out = OutDir().string();
  const std::vector<std::vector<std::string>> good = {
      {h, "-o", out, "-I", inc, "-D", "S6C_CLI_FLAG"},
      {h, "-o", out, "-I" + inc, "-DS6C_CLI_FLAG=1"},
      {h, "-o", out, "--", "-I" + inc, "-DS6C_CLI_FLAG"},
      {"-I" + inc, "-o", out, h, "--depfile", (scratch_.path() / "x.d").string(), "--",
       "-DS6C_CLI_FLAG"},
  };
  for (const std::vector<std::string>& args : good) {
    const RunResult run = Run(args);
    EXPECT_EQ(run.exit_code, kExitOk) << run.Describe();
    EXPECT_TRUE(fs::exists(OutDir() / "cli_args.s6.h")) << run.Describe();
  }
  EXPECT_TRUE(fs::exists(scratch_.path() / "x.d"));
  const RunResult undefined = Run({h, "-o", out, "-I", inc});
  EXPECT_EQ(undefined.exit_code, kExitDiagnostics) << undefined.Describe();
}

}  // namespace
