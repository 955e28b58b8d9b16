// SPDX-License-Identifier: Apache-2.0
// Pins the generated stubs, skeletons and descriptors: a call through stub -> bytes -> skeleton
// gives the same result and the same side effects as calling the object directly, for every
// method shape in inputs/methods.h; flags, ids and schema hashes are what the runtime needs.
#include <gtest/gtest.h>

#include <set>

#include <s6/hash.h>
#include <s6/testing/loopback_caller.h>

#include "auto_return.s6.h"
#include "class_scope_defaults.s6.h"
#include "containers.s6.h"
#include "deprecated.s6.h"
#include "flows.s6.h"
#include "methods.s6.h"
#include "nested.s6.h"
#include "nested_twins.s6.h"
#include "overloads.s6.h"
#include "private_alias.s6.h"
#include "scalars.s6.h"
#include "using_base.s6.h"

namespace {

using s6::testing::LoopbackCaller;

// Runs `fn` on a directly-called object and through a stub to a home copy, then checks that
// results and final states agree.
class ShapesFixture : public ::testing::Test {
 protected:
  t::Shapes direct_;
  t::Shapes home_;
  LoopbackCaller<t::Shapes> caller_{home_};
  s6::Stub<t::Shapes> stub_{caller_};

  void ExpectSameState() {
    caller_.Flush();
    EXPECT_TRUE(direct_ == home_);
  }
};

TEST_F(ShapesFixture, EveryMethodShapeMatchesADirectCall) {
  direct_.reset();
  stub_.reset();
  EXPECT_EQ(stub_.value(), direct_.value());
  direct_.add(1, -2, 30);
  stub_.add(1, -2, 30);
  direct_.step();  // default argument, evaluated by the stub
  stub_.step();
  direct_.step(-10);
  stub_.step(-10);
  direct_.apply(t::Op::kSub, 5);
  stub_.apply(t::Op::kSub, 5);
  EXPECT_EQ(stub_.greet("s6"), direct_.greet("s6"));
  EXPECT_EQ(stub_.consume(std::string(300, 'q')), direct_.consume(std::string(300, 'q')));
  direct_.set(int64_t{77});
  stub_.set(int64_t{77});
  direct_.set(std::string("overload"));
  stub_.set(std::string("overload"));
  direct_.set(5, "both");
  stub_.set(5, "both");
  const std::vector<t::Point> path = {{1, 1}, {-3, 4}};
  EXPECT_EQ(stub_.move_to({10, 20}, path), direct_.move_to({10, 20}, path));
  EXPECT_EQ(stub_.where(), direct_.where());
  EXPECT_EQ(stub_.snapshot(), direct_.snapshot());
  EXPECT_EQ(stub_.fast(), direct_.fast());
  ExpectSameState();
}

TEST_F(ShapesFixture, UntetherRunsOnceInOrderAndBeforeTheNextStrictCall) {
  stub_.bump();
  stub_.record("first", 10);
  stub_.record("second", 100);
  EXPECT_EQ(caller_.pending(), 3u);
  EXPECT_EQ(home_.value(), 0) << "untether calls are queued, not run inline";
  // Read-your-writes: the strict call observes every earlier untether call.
  EXPECT_EQ(stub_.value(), 111);
  EXPECT_EQ(home_.log, (std::vector<std::string>{"first", "second"}));
  caller_.Flush();
  EXPECT_EQ(home_.value(), 111) << "each untether call ran exactly once";
}

TEST_F(ShapesFixture, StaleReadsAreBoundedByTheirMaxAge) {
  stub_.set(int64_t{1});
  EXPECT_EQ(stub_.cached_value(), 1);  // fills the cache
  stub_.set(int64_t{2});
  EXPECT_EQ(stub_.cached_value(), 1) << "served from cache within the default bound";
  caller_.AdvanceMs(LoopbackCaller<t::Shapes>::kDefaultStaleMs + 1);
  EXPECT_EQ(stub_.cached_value(), 2) << "refreshed after the bound";
  stub_.set(std::string("a"));
  EXPECT_EQ(stub_.cached_last(), "a");
  stub_.set(std::string("b"));
  caller_.AdvanceMs(250);
  EXPECT_EQ(stub_.cached_last(), "a") << "S6_STALE_MS(250): still fresh at 250 ms";
  caller_.AdvanceMs(1);
  EXPECT_EQ(stub_.cached_last(), "b");
}

TEST(DescriptorTest, FlagsIdsAndOverloads) {
  const s6::TypeDescriptor& d = s6::TypeInfo<t::Shapes>::Descriptor();
  EXPECT_EQ(d.name, "t::Shapes");
  EXPECT_EQ(d.kind, s6::ObjectKind::kMultiWriter);
  EXPECT_EQ(d.schema_hash, s6::TypeInfo<t::Shapes>::kSchemaHash);
  std::set<uint32_t> ids;
  int sets = 0;
  for (std::size_t i = 0; i < d.methods.size(); ++i) {
    const s6::MethodDescriptor& m = d.methods[i];
    EXPECT_NE(m.id, 0u);
    ids.insert(m.id);
    if (i > 0) {
      EXPECT_LT(d.methods[i - 1].id, m.id) << "sorted by id";
    }
    EXPECT_EQ(d.FindMethod(m.id), &m);
    if (m.name == "set") ++sets;
    if (m.name == "bump" || m.name == "record") {
      EXPECT_TRUE(m.is_untether());
      EXPECT_FALSE(m.returns_value());
    }
    if (m.name == "cached_value") {
      EXPECT_TRUE(m.is_stale() && m.is_const());
      EXPECT_EQ(m.stale_max_age_ms, 0u);
    }
    if (m.name == "cached_last") {
      EXPECT_EQ(m.stale_max_age_ms, 250u);
    }
    if (m.name == "value") {
      EXPECT_TRUE(m.is_strict() && m.is_const() && m.returns_value());
    }
  }
  EXPECT_EQ(sets, 3) << "overloads each get their own id";
  EXPECT_EQ(ids.size(), d.methods.size());
  EXPECT_EQ(d.FindMethod(0), nullptr);
  // Inherited public methods are callable too.
  bool has_note = false;
  for (const auto& m : d.methods) has_note |= m.signature == "note(string)";
  EXPECT_TRUE(has_note);
}

TEST(DescriptorTest, SingleWriterLocalOnlyMethodsStayOutOfTheStub) {
  const s6::TypeDescriptor& d = s6::TypeInfo<t::Local>::Descriptor();
  EXPECT_EQ(d.kind, s6::ObjectKind::kSingleWriter);
  int local_only = 0;
  for (const auto& m : d.methods) {
    if ((m.flags & s6::kMethodLocalOnly) != 0) {
      ++local_only;
      EXPECT_EQ(m.name, "fill");
      s6::ByteBuffer reply;
      s6::ByteReader args;
      t::Local obj;
      EXPECT_EQ(s6::Skeleton<t::Local>::Dispatch(obj, m.id, args, reply),
                s6::DispatchStatus::kUnknownMethod);
    }
  }
  EXPECT_EQ(local_only, 1);
  t::Local home;
  LoopbackCaller<t::Local> caller(home);
  s6::Stub<t::Local> stub(caller);
  stub.set_v(11);
  EXPECT_EQ(stub.v(), 11);
  EXPECT_EQ(home.v(), 11);
}

TEST(DescriptorTest, MethodIdsDependOnNameAndSignatureOnly) {
  // Ids are hashes of the normalised signature; these values are part of the wire contract and
  // must not change when other methods are added or reordered.
  const s6::TypeDescriptor& d = s6::TypeInfo<t::Shapes>::Descriptor();
  auto id_of = [&](std::string_view sig) -> uint32_t {
    for (const auto& m : d.methods) {
      if (m.signature == sig) return m.id;
    }
    return 0;
  };
  EXPECT_EQ(id_of("value() const"),
            static_cast<uint32_t>(s6::HashString("s6.method:value() const")));
  EXPECT_EQ(id_of("add(i32,i32,i32)"),
            static_cast<uint32_t>(s6::HashString("s6.method:add(i32,i32,i32)")));
  EXPECT_NE(id_of("set(i64)"), 0u);
  EXPECT_NE(id_of("set(string)"), 0u);
  EXPECT_NE(id_of("set(i64,string)"), 0u);
}

// s6::net::FiveTuple travels as an argument and a result with the runtime's codec.
TEST(StubTest, RuntimeFiveTupleArgumentsAndResults) {
  t::FlowTable direct;
  t::FlowTable home;
  LoopbackCaller<t::FlowTable> caller(home);
  s6::Stub<t::FlowTable> stub(caller);
  const s6::net::FiveTuple a{0x0a000001, 0xc0000209, 40000, 443, s6::net::kProtoTcp};
  EXPECT_EQ(stub.add(a, 2), direct.add(a, 2));
  EXPECT_EQ(stub.add(a, 5), direct.add(a, 5));
  EXPECT_EQ(stub.last_reversed(), a.Reversed());
  EXPECT_TRUE(home == direct);
  bool found = false;
  for (const auto& m : s6::TypeInfo<t::FlowTable>::Descriptor().methods) {
    found |= m.signature == "add(struct s6::net::FiveTuple,u32)";
  }
  EXPECT_TRUE(found) << "the runtime type is named like a record in signatures";
}

TEST(SkeletonTest, RejectsUnknownMethodsAndMalformedArguments) {
  t::Shapes obj;
  s6::ByteBuffer reply;
  s6::ByteReader none;
  EXPECT_EQ(s6::Skeleton<t::Shapes>::Dispatch(obj, 12345, none, reply),
            s6::DispatchStatus::kUnknownMethod);
  const s6::TypeDescriptor& d = s6::TypeInfo<t::Shapes>::Descriptor();
  for (const auto& m : d.methods) {
    if (m.signature != "add(i32,i32,i32)") continue;
    const uint8_t short_args[5] = {1, 0, 0, 0, 2};
    s6::ByteReader r(short_args, sizeof short_args);
    EXPECT_EQ(s6::Skeleton<t::Shapes>::Dispatch(obj, m.id, r, reply),
              s6::DispatchStatus::kBadArguments);
    uint8_t long_args[13] = {};
    s6::ByteReader r2(long_args, sizeof long_args);
    EXPECT_EQ(s6::Skeleton<t::Shapes>::Dispatch(obj, m.id, r2, reply),
              s6::DispatchStatus::kBadArguments)
        << "left-over bytes are an error";
  }
  EXPECT_EQ(obj.value(), 0) << "a rejected call has no side effects";
  // DispatchConst refuses non-const methods.
  for (const auto& m : d.methods) {
    if (m.is_const()) continue;
    s6::ByteReader r;
    const t::Shapes& cobj = obj;
    EXPECT_EQ(s6::Skeleton<t::Shapes>::DispatchConst(cobj, m.id, r, reply),
              s6::DispatchStatus::kUnknownMethod)
        << m.signature;
  }
}

// A caller whose home answers with garbage: the stub must abandon the call, not invent a value.
class GarbageCaller : public s6::RemoteCaller {
 public:
  s6::CallStatus Call(const s6::MethodDescriptor&, const s6::ByteBuffer&,
                      s6::ByteBuffer& reply) override {
    reply.clear();
    reply.Append("\x01", 1);
    return status_;
  }
  [[noreturn]] void Abandon(const s6::MethodDescriptor& m, s6::CallStatus why) override {
    throw s6::testing::CallAbandoned(m, why);
  }
  s6::CallStatus status_ = s6::CallStatus::kOk;
};

TEST(StubTest, BadRepliesAndFailedCallsAreAbandoned) {
  GarbageCaller caller;
  s6::Stub<t::Shapes> stub(caller);
  try {
    (void)stub.value();
    FAIL() << "a 1-byte reply can't be an int64";
  } catch (const s6::testing::CallAbandoned& e) {
    EXPECT_EQ(e.status, s6::CallStatus::kBadReply);
  }
  caller.status_ = s6::CallStatus::kUnreachable;
  EXPECT_THROW(stub.reset(), s6::testing::CallAbandoned);
  caller.status_ = s6::CallStatus::kQueued;
  EXPECT_NO_THROW(stub.bump());
}

TEST(SchemaTest, DistinctClassesHaveDistinctSchemas) {
  std::set<uint64_t> hashes = {
      s6::TypeInfo<t::Shapes>::kSchemaHash,   s6::TypeInfo<t::Local>::kSchemaHash,
      s6::TypeInfo<t::Counter>::kSchemaHash,  s6::TypeInfo<t::Everything>::kSchemaHash,
      s6::TypeInfo<t::Derived>::kSchemaHash,  s6::TypeInfo<t::Base>::kSchemaHash,
      s6::TypeInfo<t::Holder>::kSchemaHash,   s6::TypeInfo<t::FlowEntry>::kSchemaHash,
      s6::TypeInfo<t::FlowTable>::kSchemaHash};
  EXPECT_EQ(hashes.size(), 9u);
}

// [[deprecated]] methods are still shipped: the generated skeleton uses them without tripping
// -Werror=deprecated-declarations (this file's generated code is built with it), and a call
// through the stub reaches them.
TEST(SkeletonTest, DeprecatedMethodsAreShippedWithoutWarnings) {
  t::Legacy home;
  LoopbackCaller<t::Legacy> caller(home);
  s6::Stub<t::Legacy> stub(caller);
  stub.increment();
  stub.add(10);
  EXPECT_EQ(stub.total(), 11);
  stub.set(int32_t{-4});
  EXPECT_EQ(stub.value(), -4);
  stub.set(int64_t{1} << 40);
  caller.Flush();
  EXPECT_EQ(home.value(), int64_t{1} << 40);
}

TEST(OverloadsTest, OverloadsWithOneWireFormReachTheirOwnMethod) {
  t::Overloads home;
  LoopbackCaller<t::Overloads> caller{home};
  s6::Stub<t::Overloads> stub{caller};
  const std::string s = "x";
  stub.take(s);
  EXPECT_EQ(stub.last(), "copy:x");
  stub.take(std::string("y"));
  EXPECT_EQ(stub.last(), "move:y");
  stub.width(7L);
  EXPECT_EQ(stub.last(), "long:7");
  stub.width(8LL);
  EXPECT_EQ(stub.last(), "long long:8");
  stub.ch('a');
  EXPECT_EQ(stub.last(), "char:a");
  stub.ch(static_cast<signed char>('b'));
  EXPECT_EQ(stub.last(), "schar:b");
  const uint8_t four[4] = {1, 2, 3, 4};
  stub.bytes(four);
  EXPECT_EQ(stub.last(), "bytes:4321");
  std::set<uint32_t> ids;
  for (const auto& m : s6::TypeInfo<t::Overloads>::Descriptor().methods) ids.insert(m.id);
  EXPECT_EQ(ids.size(), 8u);
}

TEST(PrivateAliasTest, MethodsSpelledWithPrivateAliasesAreShipped) {
  t::Registry home;
  LoopbackCaller<t::Registry> caller{home};
  s6::Stub<t::Registry> stub{caller};
  stub.put(7, {8, 9});
  EXPECT_EQ(stub.first(), 7u);
  EXPECT_EQ(stub.all(), (std::vector<uint32_t>{7, 8, 9}));
  stub.name({"three", {1, 2, 3}});  // an alias of a std::tuple
  EXPECT_EQ(stub.named(), "three:3");
}

TEST(AutoReturnTest, DeducedReturnTypesAreShipped) {
  t::AutoReturn home;
  LoopbackCaller<t::AutoReturn> caller{home};
  s6::Stub<t::AutoReturn> stub{caller};
  stub.bump();
  stub.bump();
  EXPECT_EQ(stub.count(), 2u);
  EXPECT_EQ(stub.twice(), 4u);
  EXPECT_EQ(stub.names(), (std::vector<std::string>{"n", "n"}));
}

TEST(NestedTwinsTest, SameNamedNestedClassesKeepTheirOwnDefaults) {
  t::Left::Counter left;
  t::Right::Counter right;
  LoopbackCaller<t::Left::Counter> lc{left};
  LoopbackCaller<t::Right::Counter> rc{right};
  s6::Stub<t::Left::Counter> ls{lc};
  s6::Stub<t::Right::Counter> rs{rc};
  ls.add();
  rs.add();
  EXPECT_EQ(ls.value(), 1);
  EXPECT_EQ(rs.value(), 10);
}

TEST(UsingBaseTest, UsingDeclarationsKeepTheBaseOverloads) {
  t::UsingWriter home;
  LoopbackCaller<t::UsingWriter> caller{home};
  s6::Stub<t::UsingWriter> stub{caller};
  stub.put(int64_t{5});
  EXPECT_EQ(stub.get(), "int:5");
  stub.put(true);
  EXPECT_EQ(stub.get(), "bool:1");
  stub.put(std::string("x"));  // the derived overload hides the base's of the same signature
  EXPECT_EQ(stub.get(), "derived str:x");
  EXPECT_EQ(s6::TypeInfo<t::UsingWriter>::Descriptor().methods.size(), 4u);
}

TEST(ClassScopeDefaultsTest, DefaultsResolveWhereTheClassResolvesThem) {
  t::Palette direct;
  t::Palette home;
  LoopbackCaller<t::Palette> caller{home};
  s6::Stub<t::Palette> stub{caller};
  direct.paint();
  stub.paint();
  direct.widen();
  stub.widen();
  direct.step();
  stub.step();
  direct.reset();  // a base's protected constant
  stub.reset();
  direct.bump();  // inherited from other::Tally; its default is other::kBaseStep
  stub.bump();
  EXPECT_EQ(stub.field_size(), direct.field_size());
  direct.mark();
  stub.mark();
  caller.Flush();
  EXPECT_TRUE(home == direct);
  EXPECT_EQ(home.color(), t::Palette::Color::kGreen);
  EXPECT_EQ(home.span(), (t::Palette::Span{-2, 9}));
  EXPECT_EQ(home.steps(), 5u);
  EXPECT_EQ(home.start(), 100);
  EXPECT_EQ(home.total(), 7);
  EXPECT_EQ(home.marks(), 0u);
  EXPECT_EQ(stub.field_size(), sizeof(uint16_t));
}

TEST(ClassScopeDefaultsTest, NestedAndFinalClassesEvaluateTheirDefaults) {
  t::Outer::Inner inner;
  LoopbackCaller<t::Outer::Inner> ic{inner};
  s6::Stub<t::Outer::Inner> is{ic};
  is.set();  // an enumerator of the enclosing class's enum, and its constant
  ic.Flush();
  EXPECT_EQ(inner.mode(), t::Outer::kFast);
  EXPECT_EQ(inner.scale(), 3);

  t::Sealed sealed;
  LoopbackCaller<t::Sealed> sc{sealed};
  s6::Stub<t::Sealed> ss{sc};
  ss.go();
  EXPECT_EQ(ss.value(), 203);
}

}  // namespace
