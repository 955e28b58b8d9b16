// SPDX-License-Identifier: Apache-2.0
// Runs the real s6c binary and pins its output: byte-exact golden files (refresh them with
// S6_UPDATE_GOLDEN=1 after an intended change, and review the diff), determinism (same input,
// any order, any output directory -> identical bytes, no absolute paths), stable method ids when
// methods are added or reordered, schema hashes that follow field types, and outputs that are
// left untouched when unchanged.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include <s6/hash.h>

namespace fs = std::filesystem;

namespace {

struct RunResult {
  int exit_code = -1;
  std::string output;  // stdout + stderr
};

RunResult RunS6c(const std::string& args) {
  const std::string cmd = std::string(S6C_PATH) + " " + args + " 2>&1";
  RunResult result;
  FILE* p = popen(cmd.c_str(), "r");
  if (p == nullptr) return result;
  char buf[4096];
  std::size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) result.output.append(buf, n);
  const int status = pclose(p);
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return result;
}

std::string Slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void Write(const fs::path& p, const std::string& s) {
  std::ofstream out(p, std::ios::binary);
  out << s;
}

class GoldenTest : public ::testing::Test {
 protected:
  void SetUp() override {
    tmp_ = fs::temp_directory_path() /
           ("s6c-golden-" + std::to_string(getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(tmp_);
    fs::create_directories(tmp_);
  }
  void TearDown() override { fs::remove_all(tmp_); }
  std::string Input(const std::string& name) const {
    return (fs::path(S6_INPUT_DIR) / name).string();
  }
  fs::path tmp_;
};

const char* const kGoldenInputs[] = {"methods", "scalars", "nested", "flows"};

TEST_F(GoldenTest, OutputMatchesGoldenFiles) {
  std::string args;
  for (const char* stem : kGoldenInputs) args += Input(std::string(stem) + ".h") + " ";
  args += Input("keys.h") + " -o " + tmp_.string();
  const RunResult r = RunS6c(args);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const bool update = std::getenv("S6_UPDATE_GOLDEN") != nullptr;
  for (const char* stem : kGoldenInputs) {
    for (const char* ext : {".s6.h", ".s6.cc"}) {
      const std::string name = std::string(stem) + ext;
      const std::string actual = Slurp(tmp_ / name);
      const fs::path golden = fs::path(S6_GOLDEN_DIR) / name;
      if (update) {
        Write(golden, actual);
        continue;
      }
      ASSERT_TRUE(fs::exists(golden)) << golden << " missing; run with S6_UPDATE_GOLDEN=1";
      EXPECT_EQ(actual, Slurp(golden))
          << name << " differs from " << golden
          << " (if intended: S6_UPDATE_GOLDEN=1 ctest -R s6c_golden, then review git diff)";
    }
  }
}

TEST_F(GoldenTest, OutputIsDeterministicAndRelocatable) {
  const std::string inputs = Input("methods.h") + " " + Input("nested.h") + " " + Input("keys.h") +
                             " " + Input("containers.h");
  const std::string reversed = Input("containers.h") + " " + Input("keys.h") + " " +
                               Input("nested.h") + " " + Input("methods.h");
  ASSERT_EQ(RunS6c(inputs + " -o " + (tmp_ / "a").string()).exit_code, 0);
  ASSERT_EQ(RunS6c(reversed + " -o " + (tmp_ / "b").string()).exit_code, 0);
  ASSERT_EQ(RunS6c("-o " + (tmp_ / "c").string() + " " + inputs).exit_code, 0);
  int files = 0;
  for (const auto& e : fs::directory_iterator(tmp_ / "a")) {
    const std::string name = e.path().filename().string();
    const std::string a = Slurp(e.path());
    EXPECT_EQ(a, Slurp(tmp_ / "b" / name)) << name;
    EXPECT_EQ(a, Slurp(tmp_ / "c" / name)) << name;
    EXPECT_EQ(a.find(S6_INPUT_DIR), std::string::npos) << name << " embeds an absolute path";
    EXPECT_EQ(a.find(tmp_.string()), std::string::npos) << name << " embeds the output path";
    ++files;
  }
  EXPECT_EQ(files, 8);
}

TEST_F(GoldenTest, UnchangedOutputsAreNotRewritten) {
  const std::string args = Input("scalars.h") + " -o " + tmp_.string();
  ASSERT_EQ(RunS6c(args).exit_code, 0);
  const auto before = fs::last_write_time(tmp_ / "scalars.s6.h");
  fs::last_write_time(tmp_ / "scalars.s6.h", before - std::chrono::hours(1));
  ASSERT_EQ(RunS6c(args).exit_code, 0);
  EXPECT_EQ(fs::last_write_time(tmp_ / "scalars.s6.h"), before - std::chrono::hours(1));
}

// Extracts "id signature" pairs from a generated method table.
std::map<std::string, std::string> MethodIds(const std::string& source) {
  std::map<std::string, std::string> ids;
  const std::regex row(R"re(\{(0x[0-9a-f]{8})u, [^"]*"[^"]*", "([^"]*)"\})re");
  for (std::sregex_iterator it(source.begin(), source.end(), row), end; it != end; ++it) {
    ids[(*it)[2]] = (*it)[1];
  }
  return ids;
}

std::string SchemaHash(const std::string& header) {
  std::smatch m;
  const std::regex re("kSchemaHash = (0x[0-9a-f]+)ull");
  return std::regex_search(header, m, re) ? m[1].str() : "";
}

const char* const kV1 = R"(#include <cstdint>
#include <s6/object.h>
struct Pool : s6::MultiWriter {
  uint32_t a(uint32_t x) { return x; }
  void b(uint64_t y) S6_UNTETHER { n += y; }
  uint64_t n = 0;
};
)";
const char* const kV2 = R"(#include <cstdint>
#include <s6/object.h>
struct Pool : s6::MultiWriter {
  void c() {}
  void b(uint64_t y) S6_UNTETHER { n += y; }
  uint32_t a(uint32_t x) { return x + 1; }
  uint32_t a(uint32_t x, uint32_t z) { return x + z; }
  uint64_t n = 0;
};
)";

TEST_F(GoldenTest, MethodIdsSurviveAddingAndReorderingMethods) {
  Write(tmp_ / "v1" / "pool.h", "");
  fs::create_directories(tmp_ / "v1");
  fs::create_directories(tmp_ / "v2");
  Write(tmp_ / "v1" / "pool.h", kV1);
  Write(tmp_ / "v2" / "pool.h", kV2);
  ASSERT_EQ(RunS6c((tmp_ / "v1" / "pool.h").string() + " -o " + (tmp_ / "o1").string()).exit_code,
            0);
  ASSERT_EQ(RunS6c((tmp_ / "v2" / "pool.h").string() + " -o " + (tmp_ / "o2").string()).exit_code,
            0);
  const auto v1 = MethodIds(Slurp(tmp_ / "o1" / "pool.s6.cc"));
  const auto v2 = MethodIds(Slurp(tmp_ / "o2" / "pool.s6.cc"));
  ASSERT_EQ(v1.size(), 2u);
  ASSERT_EQ(v2.size(), 4u);
  EXPECT_EQ(v1.at("a(u32)"), v2.at("a(u32)"));
  EXPECT_EQ(v1.at("b(u64)"), v2.at("b(u64)"));
  EXPECT_NE(v2.at("a(u32)"), v2.at("a(u32,u32)"));
  // The class's schema did change (new methods), so joining instances would be refused.
  EXPECT_NE(SchemaHash(Slurp(tmp_ / "o1" / "pool.s6.h")),
            SchemaHash(Slurp(tmp_ / "o2" / "pool.s6.h")));
}

TEST_F(GoldenTest, SchemaHashFollowsFieldTypesNotSpelling) {
  auto schema_of = [&](const std::string& tag, const std::string& field) {
    fs::create_directories(tmp_ / tag);
    Write(tmp_ / tag / "obj.h",
          "#include <cstdint>\n#include <s6/object.h>\n"
          "using Alias = unsigned int;\n"
          "struct Obj : s6::SingleWriter {\n  " +
              field + "\n};\n");
    const RunResult r = RunS6c((tmp_ / tag / "obj.h").string() + " -o " + (tmp_ / tag).string());
    EXPECT_EQ(r.exit_code, 0) << r.output;
    return SchemaHash(Slurp(tmp_ / tag / "obj.s6.h"));
  };
  const std::string u32 = schema_of("u32", "uint32_t count = 0;");
  EXPECT_FALSE(u32.empty());
  EXPECT_EQ(u32, schema_of("alias", "Alias count = 0;")) << "same type, other spelling";
  EXPECT_NE(u32, schema_of("u64", "uint64_t count = 0;"));
  EXPECT_NE(u32, schema_of("renamed", "uint32_t total = 0;"));
}

// An ordered container's comparator decides the key order of its canonical encoding, so it is
// part of the schema: instances that order keys differently must not join one cluster. The
// default (std::less of the key, or std::less<>) keeps the spelling it always had.
TEST_F(GoldenTest, SchemaHashFollowsTheComparatorOfOrderedContainers) {
  auto schema_of = [&](const std::string& tag, const std::string& field) {
    fs::create_directories(tmp_ / tag);
    Write(tmp_ / tag / "obj.h",
          "#include <cstdint>\n#include <functional>\n#include <map>\n#include <set>\n"
          "#include <s6/object.h>\n"
          "struct ByLow { bool operator()(uint32_t a, uint32_t b) const { return (a & 0xff) < "
          "(b & 0xff); } };\n"
          "struct Obj : s6::SingleWriter {\n  " +
              field + "\n};\n");
    const RunResult r = RunS6c((tmp_ / tag / "obj.h").string() + " -o " + (tmp_ / tag).string());
    EXPECT_EQ(r.exit_code, 0) << r.output;
    return SchemaHash(Slurp(tmp_ / tag / "obj.s6.h"));
  };
  const std::string map = schema_of("map", "std::map<uint32_t, uint64_t> m;");
  EXPECT_FALSE(map.empty());
  EXPECT_EQ(map, schema_of("map_less", "std::map<uint32_t, uint64_t, std::less<uint32_t>> m;"));
  EXPECT_EQ(map, schema_of("map_less_void", "std::map<uint32_t, uint64_t, std::less<>> m;"));
  const std::string greater =
      schema_of("map_greater", "std::map<uint32_t, uint64_t, std::greater<uint32_t>> m;");
  EXPECT_NE(map, greater);
  EXPECT_EQ(greater,
            schema_of("map_greater_void", "std::map<uint32_t, uint64_t, std::greater<>> m;"));
  const std::string by_low = schema_of("map_by_low", "std::map<uint32_t, uint64_t, ByLow> m;");
  EXPECT_NE(map, by_low);
  EXPECT_NE(greater, by_low);
  EXPECT_NE(schema_of("multimap", "std::multimap<uint32_t, uint64_t> m;"),
            schema_of("multimap_greater",
                      "std::multimap<uint32_t, uint64_t, std::greater<uint32_t>> m;"));

  const std::string set = schema_of("set", "std::set<uint32_t> m;");
  EXPECT_EQ(set, schema_of("set_less", "std::set<uint32_t, std::less<uint32_t>> m;"));
  EXPECT_EQ(set, schema_of("set_less_void", "std::set<uint32_t, std::less<>> m;"));
  EXPECT_NE(set, schema_of("set_greater", "std::set<uint32_t, std::greater<uint32_t>> m;"));
  EXPECT_NE(schema_of("multiset", "std::multiset<uint32_t> m;"),
            schema_of("multiset_greater", "std::multiset<uint32_t, std::greater<uint32_t>> m;"));
}

// A runtime-provided type (s6::net::FiveTuple) gets no generated codec, and the schema names it
// with its fields like any record, so the hash follows the runtime's struct. The schema text is
// spelled out here to pin exactly that; other s6:: types stay refused (diagnostics/).
TEST_F(GoldenTest, RuntimeFiveTupleHasNoCodecAndIsHashedFieldByField) {
  Write(tmp_ / "obj.h",
        "#include <vector>\n#include <s6/net.h>\n#include <s6/object.h>\n"
        "struct Obj : s6::SingleWriter {\n"
        "  s6::net::FiveTuple key;\n"
        "  std::vector<s6::net::FiveTuple> seen;\n"
        "};\n");
  const RunResult r = RunS6c((tmp_ / "obj.h").string() + " -o " + (tmp_ / "out").string());
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const std::string header = Slurp(tmp_ / "out" / "obj.s6.h");
  const std::string source = Slurp(tmp_ / "out" / "obj.s6.cc");
  EXPECT_EQ(header.find("FiveTuple>"), std::string::npos) << header;
  EXPECT_EQ(source.find("FiveTuple>"), std::string::npos) << source;
  EXPECT_EQ(header.find("net.s6.h"), std::string::npos) << "no generated header of the runtime";
  const std::string schema =
      "single_writer Obj\n"
      "record Obj{field key:struct s6::net::FiveTuple;"
      "field seen:vector<struct s6::net::FiveTuple>;}\n"
      "record s6::net::FiveTuple{field src_ip:u32;field dst_ip:u32;field src_port:u16;"
      "field dst_port:u16;field proto:u8;}\n";
  char expected[32];
  std::snprintf(expected, sizeof expected, "0x%016llx",
                static_cast<unsigned long long>(s6::HashString(schema)));
  EXPECT_EQ(SchemaHash(header), expected);
}

}  // namespace
