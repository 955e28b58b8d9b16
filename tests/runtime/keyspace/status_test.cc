// SPDX-License-Identifier: Apache-2.0
// Pins s6/status.h and s6/check.h: Status codes, names and messages; StatusOr with copyable and
// move-only values; S6_RETURN_IF_ERROR / S6_ASSIGN_OR_RETURN (single evaluation, propagation
// into Status and StatusOr functions); and the exact "file:line: check failed: ..." line every
// S6_CHECK form prints before aborting.
#include <s6/check.h>
#include <s6/status.h>

#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

namespace s6 {
namespace {

// Escapes regex metacharacters so that a literal expected message can be used as a death-test
// pattern (gtest uses POSIX extended regexes here).
std::string Literal(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (std::string_view("\\^$.|?*+()[]{}").find(c) != std::string_view::npos) out.push_back('\\');
    out.push_back(c);
  }
  return out;
}

// The pattern of the line a check at `line` of this file prints.
std::string CheckLine(int line, const std::string& rest) {
  return "status_test\\.cc:" + std::to_string(line) + ": check failed: " + Literal(rest);
}

// ---- Status ----------------------------------------------------------------------------------

TEST(StatusTest, DefaultIsOk) {
  const Status s;
  EXPECT_TRUE(s.ok());
  EXPECT_EQ(s.code(), StatusCode::kOk);
  EXPECT_EQ(s.message(), "");
  EXPECT_EQ(s.ToString(), "OK");
  EXPECT_EQ(s, OkStatus());
}

TEST(StatusTest, FactoriesSetCodeMessageAndName) {
  struct Case {
    Status status;
    StatusCode code;
    const char* text;
  };
  const Case cases[] = {
      {InvalidArgumentError("bad port"), StatusCode::kInvalidArgument,
       "INVALID_ARGUMENT: bad port"},
      {NotFoundError("m"), StatusCode::kNotFound, "NOT_FOUND: m"},
      {AlreadyExistsError("m"), StatusCode::kAlreadyExists, "ALREADY_EXISTS: m"},
      {FailedPreconditionError("m"), StatusCode::kFailedPrecondition, "FAILED_PRECONDITION: m"},
      {UnavailableError("m"), StatusCode::kUnavailable, "UNAVAILABLE: m"},
      {DeadlineExceededError("m"), StatusCode::kDeadlineExceeded, "DEADLINE_EXCEEDED: m"},
      {ResourceExhaustedError("m"), StatusCode::kResourceExhausted, "RESOURCE_EXHAUSTED: m"},
      {DataLossError("m"), StatusCode::kDataLoss, "DATA_LOSS: m"},
      {InternalError("m"), StatusCode::kInternal, "INTERNAL: m"},
      {UnimplementedError("m"), StatusCode::kUnimplemented, "UNIMPLEMENTED: m"},
  };
  for (const Case& c : cases) {
    EXPECT_FALSE(c.status.ok()) << c.text;
    EXPECT_EQ(c.status.code(), c.code) << c.text;
    EXPECT_EQ(c.status.ToString(), c.text);
  }
  EXPECT_EQ(cases[0].status.message(), "bad port");
}

TEST(StatusTest, OkCodeDropsTheMessage) {
  const Status s(StatusCode::kOk, "ignored");
  EXPECT_TRUE(s.ok());
  EXPECT_EQ(s.message(), "");
  EXPECT_EQ(s, OkStatus());
}

TEST(StatusTest, EmptyMessageHasNoSeparator) {
  EXPECT_EQ(NotFoundError("").ToString(), "NOT_FOUND");
}

TEST(StatusTest, CodeNamesAreStableAndUnknownIsNamed) {
  EXPECT_EQ(StatusCodeName(StatusCode::kDataLoss), "DATA_LOSS");
  EXPECT_EQ(static_cast<int>(StatusCode::kUnimplemented), 10);  // values are part of the API
  EXPECT_EQ(StatusCodeName(static_cast<StatusCode>(200)), "UNKNOWN");
}

TEST(StatusTest, EqualityComparesCodeAndMessage) {
  EXPECT_EQ(NotFoundError("a"), NotFoundError("a"));
  EXPECT_NE(NotFoundError("a"), NotFoundError("b"));
  EXPECT_NE(NotFoundError("a"), InternalError("a"));
}

TEST(StatusTest, Streams) {
  std::ostringstream os;
  os << UnavailableError("peer 3 gone") << " / " << StatusCode::kInternal;
  EXPECT_EQ(os.str(), "UNAVAILABLE: peer 3 gone / INTERNAL");
}

// ---- StatusOr --------------------------------------------------------------------------------

TEST(StatusOrTest, HoldsAValue) {
  StatusOr<std::string> v = std::string("slot");
  ASSERT_TRUE(v.ok());
  EXPECT_TRUE(v.status().ok());
  EXPECT_EQ(v.value(), "slot");
  EXPECT_EQ(*v, "slot");
  EXPECT_EQ(v->size(), 4u);
  v->append("s");
  EXPECT_EQ(*v, "slots");
}

TEST(StatusOrTest, ConvertsFromConstructibleValues) {
  StatusOr<std::string> from_literal = "abc";
  EXPECT_EQ(*from_literal, "abc");
  const StatusOr<std::vector<int>> in_place(std::in_place, 3, 7);
  EXPECT_EQ(*in_place, std::vector<int>({7, 7, 7}));
  const StatusOr<double> widened = 2;
  EXPECT_EQ(*widened, 2.0);
}

TEST(StatusOrTest, HoldsAnError) {
  const StatusOr<int> v = NotFoundError("no such map");
  EXPECT_FALSE(v.ok());
  EXPECT_EQ(v.status().code(), StatusCode::kNotFound);
  EXPECT_EQ(v.status().message(), "no such map");
  EXPECT_EQ(v.value_or(-1), -1);
}

TEST(StatusOrTest, ValueOrReturnsTheValueWhenPresent) {
  const StatusOr<int> v = 5;
  EXPECT_EQ(v.value_or(-1), 5);
}

TEST(StatusOrTest, CopiesAndMoves) {
  const StatusOr<std::string> a = std::string(100, 'x');
  StatusOr<std::string> b = a;
  EXPECT_EQ(*b, *a);
  StatusOr<std::string> c = std::move(b);
  EXPECT_EQ(*c, std::string(100, 'x'));
  c = InternalError("gone");
  EXPECT_FALSE(c.ok());
  c = a;
  EXPECT_TRUE(c.ok());
  const Status moved_status = StatusOr<int>(DataLossError("d")).status();
  EXPECT_EQ(moved_status, DataLossError("d"));
}

TEST(StatusOrTest, MoveOnlyValue) {
  StatusOr<std::unique_ptr<int>> v = std::make_unique<int>(42);
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(**v, 42);
  std::unique_ptr<int> taken = std::move(v).value();
  ASSERT_NE(taken, nullptr);
  EXPECT_EQ(*taken, 42);

  StatusOr<std::unique_ptr<int>> moved = StatusOr<std::unique_ptr<int>>(std::make_unique<int>(7));
  StatusOr<std::unique_ptr<int>> target = std::move(moved);
  EXPECT_EQ(**target, 7);
  std::unique_ptr<int> via_star = *std::move(target);
  EXPECT_EQ(*via_star, 7);
}

TEST(StatusOrDeathTest, ConstructingFromOkStatusAborts) {
  EXPECT_DEATH(
      {
        StatusOr<int> v = OkStatus();
        (void)v;
      },
      "check failed: .*StatusOr constructed from an OK status");
}

TEST(StatusOrDeathTest, ValueOfAnErrorReportsTheCallerAndTheError) {
  const StatusOr<int> v = InvalidArgumentError("bad port");
  // The call sits on a line of its own: compilers disagree on which line of a multi-line macro
  // invocation a call inside it is on.
  const int line = __LINE__ + 1;
  const auto call_value = [&v] { return v.value(); };
  EXPECT_DEATH((void)call_value(),
               CheckLine(line, "StatusOr::value() called on an error: INVALID_ARGUMENT: bad port"));
  EXPECT_DEATH((void)*v, "INVALID_ARGUMENT: bad port");
}

// ---- Propagation macros ----------------------------------------------------------------------

Status Succeed(int* calls) {
  ++*calls;
  return OkStatus();
}
Status Fail(int* calls) {
  ++*calls;
  return ResourceExhaustedError("queue full");
}
StatusOr<int> Number(int* calls, bool ok) {
  ++*calls;
  if (!ok) return UnavailableError("peer down");
  return 21;
}
StatusOr<std::unique_ptr<int>> Boxed(bool ok) {
  if (!ok) return NotFoundError("no box");
  return std::make_unique<int>(9);
}
StatusOr<std::map<int, int>> TwoTemplateArgs() { return std::map<int, int>{{1, 2}}; }

Status ReturnIfError(bool fail, int* calls, bool* reached_end) {
  S6_RETURN_IF_ERROR(Succeed(calls));
  if (fail) S6_RETURN_IF_ERROR(Fail(calls));
  *reached_end = true;
  return OkStatus();
}

TEST(MacroTest, ReturnIfErrorPassesOkAndReturnsErrors) {
  int calls = 0;
  bool reached_end = false;
  EXPECT_TRUE(ReturnIfError(false, &calls, &reached_end).ok());
  EXPECT_EQ(calls, 1);
  EXPECT_TRUE(reached_end);

  calls = 0;
  reached_end = false;
  EXPECT_EQ(ReturnIfError(true, &calls, &reached_end), ResourceExhaustedError("queue full"));
  EXPECT_EQ(calls, 2);  // each expression evaluated exactly once
  EXPECT_FALSE(reached_end);
}

StatusOr<std::string> ReturnIfErrorIntoStatusOr(bool ok) {
  int calls = 0;
  S6_RETURN_IF_ERROR(Number(&calls, ok));  // a StatusOr works too: its status is returned
  const Status lvalue = OkStatus();
  S6_RETURN_IF_ERROR(lvalue);
  return std::string("done");
}

TEST(MacroTest, ReturnIfErrorAcceptsStatusOrAndLvalues) {
  EXPECT_EQ(*ReturnIfErrorIntoStatusOr(true), "done");
  EXPECT_EQ(ReturnIfErrorIntoStatusOr(false).status(), UnavailableError("peer down"));
}

StatusOr<int> AssignOrReturn(bool ok, int* calls) {
  S6_ASSIGN_OR_RETURN(const int n, Number(calls, ok));
  int doubled = 0;
  S6_ASSIGN_OR_RETURN(doubled, Number(calls, true));  // assignment to an existing variable
  return n + doubled;
}

TEST(MacroTest, AssignOrReturnUnwrapsOrPropagates) {
  int calls = 0;
  EXPECT_EQ(*AssignOrReturn(true, &calls), 42);
  EXPECT_EQ(calls, 2);
  calls = 0;
  EXPECT_EQ(AssignOrReturn(false, &calls).status(), UnavailableError("peer down"));
  EXPECT_EQ(calls, 1);  // returned before the second call
}

Status AssignMoveOnly(bool ok, int* out) {
  S6_ASSIGN_OR_RETURN(std::unique_ptr<int> box, Boxed(ok));
  S6_ASSIGN_OR_RETURN(auto m, TwoTemplateArgs());
  *out = *box + m.at(1);
  return OkStatus();
}

TEST(MacroTest, AssignOrReturnMovesMoveOnlyValues) {
  int out = 0;
  EXPECT_TRUE(AssignMoveOnly(true, &out).ok());
  EXPECT_EQ(out, 11);
  EXPECT_EQ(AssignMoveOnly(false, &out), NotFoundError("no box"));
}

// ---- Checks ----------------------------------------------------------------------------------

TEST(CheckTest, PassingChecksEvaluateOperandsOnce) {
  int n = 0;
  S6_CHECK(++n == 1);
  S6_CHECK_EQ(++n, 2);
  S6_CHECK_NE(++n, 0);
  S6_CHECK_LT(++n, 5);
  S6_CHECK_LE(++n, 5);
  EXPECT_EQ(n, 5);
  // Mixed signedness compares by value and compiles without warnings under -Werror.
  const std::vector<int> v(3);
  S6_CHECK_EQ(v.size(), 3);
  S6_CHECK_LT(-1, v.size());
  S6_CHECK(true) << "never "
                 << "evaluated";
}

TEST(CheckTest, StreamedMessageIsNotEvaluatedOnSuccess) {
  int evaluated = 0;
  auto touch = [&evaluated] { return ++evaluated; };
  S6_CHECK(true) << touch();
  S6_CHECK_EQ(1, 1) << touch();
  EXPECT_EQ(evaluated, 0);
}

TEST(CheckTest, WorksAsUnbracedIfBody) {
  const bool flag = true;
  int branch = 0;
  if (flag)
    S6_CHECK_EQ(1, 1);
  else
    branch = 2;
  if (!flag)
    S6_CHECK(false);
  else
    branch = 1;
  EXPECT_EQ(branch, 1);
}

TEST(CheckTest, DcheckMatchesBuildMode) {
  int evaluated = 0;
  S6_DCHECK(++evaluated > 0);
  S6_DCHECK_EQ(++evaluated, 2);
#ifdef NDEBUG
  EXPECT_EQ(evaluated, 0);  // compiled, never evaluated
#else
  EXPECT_EQ(evaluated, 2);
#endif
}

TEST(CheckDeathTest, CheckPrintsFileLineAndExpression) {
  const int x = 3;
  const int line = __LINE__ + 1;
  EXPECT_DEATH(S6_CHECK(x == 4), CheckLine(line, "x == 4") + "\n");
}

TEST(CheckDeathTest, CheckAppendsTheStreamedMessage) {
  const int slot = 17;
  const int line = __LINE__ + 1;
  EXPECT_DEATH(S6_CHECK(slot < 16) << "slot " << slot << " of 16",
               CheckLine(line, "slot < 16: slot 17 of 16"));
}

TEST(CheckDeathTest, ComparisonsPrintBothValues) {
  const int a = 3;
  const unsigned b = 4;
  int line = __LINE__ + 1;
  EXPECT_DEATH(S6_CHECK_EQ(a, b) << "ctx", CheckLine(line, "a == b (3 vs 4): ctx"));
  line = __LINE__ + 1;
  EXPECT_DEATH(S6_CHECK_NE(a, 3), CheckLine(line, "a != 3 (3 vs 3)"));
  line = __LINE__ + 1;
  EXPECT_DEATH(S6_CHECK_LT(b, 4u), CheckLine(line, "b < 4u (4 vs 4)"));
  line = __LINE__ + 1;
  EXPECT_DEATH(S6_CHECK_LE(-1, -2), CheckLine(line, "-1 <= -2 (-1 vs -2)"));
}

TEST(CheckDeathTest, SignednessDoesNotFoolComparisons) {
  // A plain `-1 < 1u` is false (-1 converts to UINT_MAX); the check compares values.
  S6_CHECK_LT(-1, 1u);
  const int line = __LINE__ + 1;
  EXPECT_DEATH(S6_CHECK_LE(1u, -1), CheckLine(line, "1u <= -1 (1 vs -1)"));
}

TEST(CheckDeathTest, PrintsBytesAsNumbersAndStatusesAsText) {
  const uint8_t byte = 65;
  int line = __LINE__ + 1;
  EXPECT_DEATH(S6_CHECK_EQ(byte, 66), CheckLine(line, "byte == 66 (65 vs 66)"));
  line = __LINE__ + 1;
  EXPECT_DEATH(S6_CHECK_EQ(NotFoundError("x"), OkStatus()),
               CheckLine(line, "NotFoundError(\"x\") == OkStatus() (NOT_FOUND: x vs OK)"));
  enum class Color { kRed = 1, kBlue = 2 };
  line = __LINE__ + 1;
  EXPECT_DEATH(S6_CHECK_EQ(Color::kRed, Color::kBlue),
               CheckLine(line, "Color::kRed == Color::kBlue (1 vs 2)"));
}

struct Opaque {
  int v;
  friend bool operator==(const Opaque&, const Opaque&) = default;
};

TEST(CheckDeathTest, UnprintableOperandsAreLeftOut) {
  const Opaque a{1};
  const Opaque b{2};
  const int line = __LINE__ + 1;
  EXPECT_DEATH(S6_CHECK_EQ(a, b), CheckLine(line, "a == b") + "\n");
}

TEST(CheckDeathTest, ChecksStayOnUnderNdebug) {
  // This file is built like the rest of the project (NDEBUG in release builds); S6_CHECK must
  // still fire, whatever the build type.
  const int zero = 0;
  EXPECT_DEATH(S6_CHECK(zero == 1), "check failed: zero == 1");
}

}  // namespace
}  // namespace s6
