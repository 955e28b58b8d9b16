// SPDX-License-Identifier: Apache-2.0
#include "driver.h"

#include <map>
#include <memory>
#include <set>

#include "analyzer.h"
#include "clang/AST/ASTConsumer.h"
#include "clang/AST/ASTContext.h"
#include "clang/Basic/SourceManager.h"
#include "clang/Frontend/CompilerInstance.h"
#include "clang/Frontend/FrontendAction.h"
#include "clang/Tooling/CompilationDatabase.h"
#include "clang/Tooling/Tooling.h"
#include "command_line.h"
#include "emitter.h"
#include "llvm/ADT/SmallString.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Program.h"
#include "llvm/Support/raw_ostream.h"
#include "paths.h"

#ifndef S6C_RUNTIME_INCLUDE_DIR
#error "S6C_RUNTIME_INCLUDE_DIR must point at runtime/include"
#endif
#ifndef S6C_CLANG_RESOURCE_DIR
#error "S6C_CLANG_RESOURCE_DIR must point at Clang's resource directory"
#endif

namespace s6c {
namespace {

// Where the s6 runtime headers are: next to an installed s6c (<prefix>/include), else the
// source tree this s6c was built from.
std::string RuntimeIncludeDir() {
  const std::string exe =
      llvm::sys::fs::getMainExecutable("s6c", reinterpret_cast<void*>(&RuntimeIncludeDir));
  if (!exe.empty()) {
    llvm::SmallString<256> p(llvm::sys::path::parent_path(llvm::sys::path::parent_path(exe)));
    llvm::sys::path::append(p, "include", "s6", "object.h");
    if (llvm::sys::fs::exists(p)) {
      return std::string(llvm::sys::path::parent_path(llvm::sys::path::parent_path(p)));
    }
  }
  return S6C_RUNTIME_INCLUDE_DIR;
}

struct RunState {
  std::set<std::string> inputs;             // real paths
  std::map<std::string, FileModel> models;  // real path -> model
  std::set<std::string> dependencies;       // every file read
};

class Consumer : public clang::ASTConsumer {
 public:
  Consumer(RunState& state, std::string input) : state_(state), input_(std::move(input)) {}
  void HandleTranslationUnit(clang::ASTContext& ctx) override {
    const clang::SourceManager& sm = ctx.getSourceManager();
    for (auto it = sm.fileinfo_begin(); it != sm.fileinfo_end(); ++it) {
      state_.dependencies.insert(AbsolutePath(it->first->getName().str()));
    }
    // After a Clang error the AST is partial; analysing it would only add noise.
    if (ctx.getDiagnostics().hasErrorOccurred()) return;
    state_.models[input_] = AnalyzeTranslationUnit(ctx, input_, state_.inputs);
  }

 private:
  RunState& state_;
  std::string input_;
};

class Action : public clang::ASTFrontendAction {
 public:
  explicit Action(RunState& state) : state_(state) {}
  std::unique_ptr<clang::ASTConsumer> CreateASTConsumer(clang::CompilerInstance&,
                                                        llvm::StringRef file) override {
    return std::make_unique<Consumer>(state_, RealPath(file.str()));
  }

 private:
  RunState& state_;
};

class Factory : public clang::tooling::FrontendActionFactory {
 public:
  explicit Factory(RunState& state) : state_(state) {}
  std::unique_ptr<clang::FrontendAction> create() override {
    return std::make_unique<Action>(state_);
  }

 private:
  RunState& state_;
};

// Writes `content` to `path` unless it already holds exactly that; atomic via rename. Only a
// regular file is read (and only when its size matches) or replaced: a rename would replace
// whatever the path names, a device node included.
bool WriteIfChanged(const std::string& path, const std::string& content) {
  llvm::sys::fs::file_status st;
  if (!llvm::sys::fs::status(path, st, /*follow=*/false)) {
    if (st.type() != llvm::sys::fs::file_type::regular_file) {
      llvm::errs() << "s6c: error: cannot write '" << path << "': it exists and is not a regular "
                   << "file\n";
      return false;
    }
    if (st.getSize() == content.size()) {
      if (auto existing = llvm::MemoryBuffer::getFile(path)) {
        if ((*existing)->getBuffer() == content) return true;
      }
    }
  }
  const std::string tmp = path + ".tmp";
  {
    std::error_code ec;
    llvm::raw_fd_ostream os(tmp, ec);
    if (ec) {
      llvm::errs() << "s6c: error: cannot write '" << tmp << "': " << ec.message() << "\n";
      return false;
    }
    os << content;
    os.close();
    if (os.has_error()) {
      llvm::errs() << "s6c: error: cannot write '" << tmp << "': " << os.error().message() << "\n";
      os.clear_error();
      return false;
    }
  }
  if (std::error_code ec = llvm::sys::fs::rename(tmp, path)) {
    llvm::errs() << "s6c: error: cannot write '" << path << "': " << ec.message() << "\n";
    return false;
  }
  return true;
}

std::string DepEscape(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == ' ' || c == '#') out += '\\';
    if (c == '$') out += '$';
    out += c;
  }
  return out;
}

// The Clang command line for parsing `sources` (absolute paths).
std::vector<std::string> ClangArgs(const Options& opt, const std::vector<std::string>& sources) {
  std::vector<std::string> clang_args = {
      "-xc++",
      "-std=c++20",
      "-DS6C=1",
      "-Wno-pragma-once-outside-header",
      "-resource-dir",
      S6C_CLANG_RESOURCE_DIR,
      "-I" + RuntimeIncludeDir(),
  };
  // Each header's own directory comes first, as for a quoted include from the header itself.
  std::set<std::string> header_dirs;
  for (const std::string& s : sources) header_dirs.insert(llvm::sys::path::parent_path(s).str());
  for (const std::string& d : header_dirs) clang_args.push_back("-I" + d);
  clang_args.insert(clang_args.end(), opt.clang_args.begin(), opt.clang_args.end());
  return clang_args;
}

// Emits every model into opt.out_dir, then the depfile; returns the exit code.
int WriteOutputs(const Options& opt, const RunState& state) {
  std::error_code ec = llvm::sys::fs::create_directories(opt.out_dir);
  if (ec) {
    llvm::errs() << "s6c: error: cannot create '" << opt.out_dir << "': " << ec.message() << "\n";
    return kExitDiagnostics;
  }
  std::vector<std::string> outputs;
  for (const std::string& h : opt.headers) {
    const FileModel& model = state.models.at(RealPath(h));
    const GeneratedFiles files = Emit(model);
    llvm::SmallString<256> base(opt.out_dir);
    llvm::sys::path::append(base, model.stem);
    const std::string hdr = std::string(base.str()) + ".s6.h";
    const std::string src = std::string(base.str()) + ".s6.cc";
    if (!WriteIfChanged(hdr, files.header) || !WriteIfChanged(src, files.source)) {
      return kExitDiagnostics;
    }
    outputs.push_back(hdr);
  }
  if (!opt.depfile.empty()) {
    std::string dep = DepEscape(AbsolutePath(outputs.front())) + ":";
    for (const std::string& d : state.dependencies) dep += " \\\n  " + DepEscape(d);
    dep += "\n";
    if (!WriteIfChanged(opt.depfile, dep)) return kExitDiagnostics;
  }
  return kExitOk;
}

}  // namespace

int RunS6c(const std::vector<std::string>& args) {
  Options opt;
  if (auto code = ParseCommandLine(args, opt)) return *code;

  RunState state;
  std::vector<std::string> sources;
  for (const std::string& h : opt.headers) {
    sources.push_back(AbsolutePath(h));
    state.inputs.insert(RealPath(h));
  }
  clang::tooling::FixedCompilationDatabase db(".", ClangArgs(opt, sources));
  clang::tooling::ClangTool tool(db, sources);
  Factory factory(state);
  const int rc = tool.run(&factory);
  if (rc != 0 || state.models.size() != sources.size()) return kExitDiagnostics;
  return WriteOutputs(opt, state);
}

}  // namespace s6c
