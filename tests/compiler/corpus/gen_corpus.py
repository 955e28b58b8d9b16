#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""Random but valid s6c inputs, deterministic by seed (issue 18).

    gen_corpus.py --seed S --classes N --out DIR [--invalid K] [--hash K] [--without FEATURE]...

writes into DIR:
  corpus_S.h          N random state classes (plus the plain structs, enums, bases and
                      constants they use) in random namespaces, using only what
                      docs/programming-guide.md documents as supported;
  corpus_S_test.cc    a plain-main driver: for each class, field values at both extremes and
                      random ones -> encode -> decode -> field-by-field comparison, byte-identical
                      re-encoding, truncation rejected; every shippable method called directly
                      and through s6::Stub + s6::testing::LoopbackCaller (results and final
                      states compared; defaults omitted too); descriptor flags per method;
  invalid_S_K.h       (with --invalid K) one class each with exactly one unsupported construct;
  hash_S_K_{base,same,diff}.h  (with --hash K) one class each, and variants whose encoding is
                      the same / differs;
  manifest.json       what the checker needs: expected error lines, hash pairs, class count.

Standard library only. Every random choice comes from random.Random(seed).
"""
import argparse
import copy
import json
import os
import random
import re
import struct
import sys

# Constructs that can be switched off (--without NAME), e.g. while a finding is open.
FEATURES = [
    "float", "enum", "string", "c-array", "std-array", "vector", "deque", "list", "map",
    "multimap", "unordered-map", "set", "multiset", "unordered-set", "optional", "pair",
    "tuple", "bitset", "bitset-big", "bitset-zero", "struct", "recursive", "fivetuple",
    "bitfield", "comparator-greater", "comparator-transparent", "comparator-custom",
    "inline-namespace", "base", "base-private", "state-base", "protected-fields",
    "private-fields", "final", "overload", "overload-refkind", "overload-width",
    "default-literal", "default-ns-const", "default-enumerator", "default-string",
    "default-struct", "default-class-scope", "default-base-protected", "default-braced",
    "private-alias-tuple",
    "rvalue-param", "array-param", "unnamed-param", "private-alias", "auto-return",
    "local-only", "stale", "untether", "noexcept", "using-base", "private-unshippable",
    "static-method", "member-operator", "ctors", "long-values",
]

INT_TYPES = [
    # spelling, bits, signed
    ("int8_t", 8, True), ("uint8_t", 8, False), ("int16_t", 16, True), ("uint16_t", 16, False),
    ("int32_t", 32, True), ("uint32_t", 32, False), ("int64_t", 64, True), ("uint64_t", 64, False),
    ("char", 8, True), ("signed char", 8, True), ("unsigned char", 8, False),
    ("short", 16, True), ("unsigned short", 16, False), ("int", 32, True), ("unsigned", 32, False),
    ("long", 64, True), ("unsigned long", 64, False), ("long long", 64, True),
    ("unsigned long long", 64, False), ("size_t", 64, False),
]

ACCESS = "::corpus_access::Access"


def cstr(s):
    """A C++ string literal for the bytes of `s` (octal escapes for everything unusual)."""
    out = []
    for ch in s:
        o = ord(ch)
        if ch.isalnum() or ch in " _-+.,:;!?=()[]<>/|@#$%^&*~":
            out.append(ch)
        else:
            out.append("\\%03o" % o)
    return '"' + "".join(out) + '"'


# ---------------------------------------------------------------------------------------------
# Types. cpp(): fully qualified spelling. expr(g, mode): a prvalue of the type (mode: min, max,
# rand). C arrays have no expressions; the driver fills them element by element.


class Ty:
    c_array = False
    bitfield_ok = False

    def canonical(self):
        return True

    def ordered(self):  # usable as a key of an ordered container (with less and greater)
        return False

    def hashable(self):  # usable as a key of an unordered container (std::hash)
        return False

    def floaty(self):
        return False


class IntTy(Ty):
    bitfield_ok = True

    def __init__(self, spell, bits, signed):
        self.spell, self.bits, self.signed = spell, bits, signed

    def cpp(self):
        return self.spell

    def lo(self):
        return -(1 << (self.bits - 1)) if self.signed else 0

    def hi(self):
        return (1 << (self.bits - 1)) - 1 if self.signed else (1 << self.bits) - 1

    def lit(self, v):
        if v == self.lo() and self.signed:
            return "std::numeric_limits<%s>::min()" % self.spell
        if v == self.hi():
            return "std::numeric_limits<%s>::max()" % self.spell
        return "static_cast<%s>(%d%s)" % (self.spell, v, "LL" if v < 0 else "ULL")

    def expr(self, g, mode):
        if mode == "min":
            return self.lit(self.lo())
        if mode == "max":
            return self.lit(self.hi())
        return self.lit(g.rand_int(self.lo(), self.hi()))

    def ordered(self):
        return True

    def hashable(self):
        return True


class BoolTy(Ty):
    bitfield_ok = True

    def cpp(self):
        return "bool"

    def expr(self, g, mode):
        if mode in ("min", "max"):
            return "true" if mode == "max" else "false"
        return g.rng.choice(["true", "false"])

    def ordered(self):
        return True

    def hashable(self):
        return True


class FloatTy(Ty):
    def __init__(self, spell):
        self.spell = spell

    def cpp(self):
        return self.spell

    def floaty(self):
        return True

    def expr(self, g, mode):
        lim = "std::numeric_limits<%s>::" % self.spell
        if mode == "min":
            return lim + "lowest()"
        if mode == "max":
            return lim + "max()"
        r = g.rng.random()
        if r < 0.08:
            return lim + "denorm_min()"
        if r < 0.14:
            return "-" + lim + "infinity()"
        if r < 0.2:
            return "static_cast<%s>(-0.0)" % self.spell
        x = g.rng.uniform(-1e6, 1e6) * (10 ** g.rng.randint(-30, 30))
        if self.spell == "float":
            x = struct.unpack("f", struct.pack("f", max(min(x, 3e38), -3e38)))[0]
        return "static_cast<%s>(%s)" % (self.spell, x.hex())


class EnumTy(Ty):
    def __init__(self, decl):
        self.decl = decl

    def cpp(self):
        return self.decl.qname()

    def expr(self, g, mode):
        d = self.decl
        u = d.under.spell
        if mode == "min":
            return "static_cast<%s>(std::numeric_limits<%s>::min())" % (self.cpp(), u)
        if mode == "max":
            return "static_cast<%s>(std::numeric_limits<%s>::max())" % (self.cpp(), u)
        if g.rng.random() < 0.8:
            return self.cpp() + "::" + g.rng.choice(d.values)[0]
        return "static_cast<%s>(%s)" % (self.cpp(), d.under.expr(g, "rand"))

    def ordered(self):
        return True

    def hashable(self):
        return True


class StringTy(Ty):
    def cpp(self):
        return "std::string"

    def expr(self, g, mode):
        if mode == "min":
            return "std::string()"
        if mode == "max":
            n = g.rng.choice([300, 1000, 4097]) if g.on("long-values") else 40
            return "std::string(%d, '%s')" % (n, g.rng.choice("xyzw"))
        n = g.rng.choice([0, 1, 2, 5, 11, 17])
        alphabet = "abcXYZ019 _\n\t\"\\'" + "\x00\x7f\xff"
        s = "".join(g.rng.choice(alphabet) for _ in range(n))
        return "std::string(%s, %d)" % (cstr(s), len(s))

    def ordered(self):
        return True

    def hashable(self):
        return True


class OfOneTy(Ty):
    """A type made of elements of one type `self.t`: canonical, ordered and floaty as they are."""

    def canonical(self):
        return self.t.canonical()

    def ordered(self):
        return self.t.ordered()

    def floaty(self):
        return self.t.floaty()


class StdArrayTy(OfOneTy):
    def __init__(self, t, n):
        self.t, self.n = t, n

    def cpp(self):
        return "std::array<%s, %d>" % (self.t.cpp(), self.n)

    def expr(self, g, mode):
        if self.n == 0:
            return self.cpp() + "{}"
        return "%s{{%s}}" % (self.cpp(), ", ".join(self.t.expr(g, mode) for _ in range(self.n)))



class CArrayTy(Ty):
    """T name[N] (T possibly another C array: multi-dimensional)."""
    c_array = True

    def __init__(self, t, n):
        self.t, self.n = t, n

    def elem(self):
        return self.t.elem() if self.t.c_array else self.t

    def dims(self):
        return [self.n] + (self.t.dims() if self.t.c_array else [])

    def cpp(self):
        return self.elem().cpp() + "".join("[%d]" % d for d in self.dims())

    def canonical(self):
        return self.t.canonical()

    def floaty(self):
        return self.t.floaty()


class SeqTy(Ty):
    def __init__(self, kind, t):
        self.kind, self.t = kind, t

    def cpp(self):
        return "std::%s<%s>" % (self.kind, self.t.cpp())

    def expr(self, g, mode):
        if mode == "min":
            return self.cpp() + "{}"
        if mode == "max":
            n = (g.rng.randint(40, 120) if isinstance(self.t, (IntTy, FloatTy, BoolTy))
                 and g.on("long-values") else g.rng.randint(3, 5))
        else:
            n = g.rng.randint(0, 3)
        return "%s{%s}" % (self.cpp(), ", ".join(self.t.expr(g, mode) for _ in range(n)))

    def canonical(self):
        return self.t.canonical()

    def ordered(self):
        return self.kind == "vector" and self.t.ordered()

    def floaty(self):
        return self.t.floaty()


def cmp_spell(cmp, k):
    if cmp is None:
        return ""
    if cmp == "less":
        return ", std::less<%s>" % k.cpp()
    if cmp == "greater":
        return ", std::greater<%s>" % k.cpp()
    if cmp == "greater<>":
        return ", std::greater<>"
    return ", " + cmp.qname()  # a named comparator class


class MapTy(Ty):
    def __init__(self, kind, k, v, cmp=None):
        self.kind, self.k, self.v, self.cmp = kind, k, v, cmp

    def cpp(self):
        return "std::%s<%s, %s%s>" % (self.kind, self.k.cpp(), self.v.cpp(),
                                      cmp_spell(self.cmp, self.k))

    def expr(self, g, mode):
        if mode == "min":
            return self.cpp() + "{}"
        n = g.rng.randint(2, 5) if mode == "max" else g.rng.randint(0, 3)
        pair = "std::pair<const %s, %s>" % (self.k.cpp(), self.v.cpp())
        els = []
        for _ in range(n):
            els.append("%s(%s, %s)" % (pair, self.k.expr(g, g.rng.choice(["rand", mode])),
                                       self.v.expr(g, mode)))
        if self.kind == "multimap" and els:
            els.append(els[0])
        return "%s{%s}" % (self.cpp(), ", ".join(els))

    def canonical(self):
        return self.kind != "unordered_map" and self.k.canonical() and self.v.canonical()

    def floaty(self):
        return self.k.floaty() or self.v.floaty()


class SetTy(Ty):
    def __init__(self, kind, k, cmp=None):
        self.kind, self.k, self.cmp = kind, k, cmp

    def cpp(self):
        return "std::%s<%s%s>" % (self.kind, self.k.cpp(), cmp_spell(self.cmp, self.k))

    def expr(self, g, mode):
        if mode == "min":
            return self.cpp() + "{}"
        n = g.rng.randint(2, 6) if mode == "max" else g.rng.randint(0, 4)
        els = [self.k.expr(g, g.rng.choice(["rand", mode])) for _ in range(n)]
        if self.kind == "multiset" and els:
            els.append(els[-1])
        return "%s{%s}" % (self.cpp(), ", ".join(els))

    def canonical(self):
        return self.kind != "unordered_set" and self.k.canonical()

    def floaty(self):
        return self.k.floaty()


class OptionalTy(OfOneTy):
    def __init__(self, t):
        self.t = t

    def cpp(self):
        return "std::optional<%s>" % self.t.cpp()

    def expr(self, g, mode):
        if mode == "min" or (mode == "rand" and g.rng.random() < 0.3):
            return self.cpp() + "()"
        return "%s(std::in_place, %s)" % (self.cpp(), self.t.expr(g, mode))



class TupleTy(Ty):
    def __init__(self, kind, ts):
        self.kind, self.ts = kind, ts  # kind: pair | tuple

    def cpp(self):
        return "std::%s<%s>" % (self.kind, ", ".join(t.cpp() for t in self.ts))

    def expr(self, g, mode):
        return "%s(%s)" % (self.cpp(), ", ".join(t.expr(g, mode) for t in self.ts))

    def canonical(self):
        return all(t.canonical() for t in self.ts)

    def ordered(self):
        return all(t.ordered() for t in self.ts)

    def floaty(self):
        return any(t.floaty() for t in self.ts)


class BitsetTy(Ty):
    def __init__(self, n):
        self.n = n

    def cpp(self):
        return "std::bitset<%d>" % self.n

    def expr(self, g, mode):
        if mode == "min" or self.n == 0:
            return self.cpp() + "()"
        if mode == "max":
            return "~" + self.cpp() + "()"
        if self.n <= 256:
            bits = "".join(g.rng.choice("01") for _ in range(self.n))
            return '%s(std::string("%s"))' % (self.cpp(), bits)
        sets = sorted({g.rng.randrange(self.n) for _ in range(5)} | {self.n - 1})
        return "[] { %s b; %s return b; }()" % (self.cpp(), " ".join("b.set(%d);" % i
                                                                      for i in sets))


class FiveTupleTy(Ty):
    def cpp(self):
        return "::s6::net::FiveTuple"

    def expr(self, g, mode):
        ts = [IntTy("uint32_t", 32, False)] * 2 + [IntTy("uint16_t", 16, False)] * 2 + \
             [IntTy("uint8_t", 8, False)]
        return "%s{%s}" % (self.cpp(), ", ".join(t.expr(g, mode) for t in ts))

    def ordered(self):
        return True


class StructTy(Ty):
    def __init__(self, decl):
        self.decl = decl

    def cpp(self):
        return self.decl.qname()

    def expr(self, g, mode):
        v = {"min": 1, "max": 2}.get(mode) or g.rng.randint(0, 4)
        if self.decl.recursive and g.depth_guard > 0:
            v = 0
        return "%s::Make_%s(%d)" % (ACCESS, self.decl.ident(), v)

    def canonical(self):
        return self.decl.canonical()

    def ordered(self):
        return self.decl.orderable

    def floaty(self):
        return self.decl.floaty()


# ---------------------------------------------------------------------------------------------
# Declarations.


class Ns:
    def __init__(self, parts):
        self.parts = parts  # [(name, inline)]

    def qual(self):
        return "::" + "::".join(p for p, _ in self.parts)

    def open(self):
        return " ".join(("inline namespace %s {" if inl else "namespace %s {") % p
                        for p, inl in self.parts)

    def close(self):
        return "}" * len(self.parts) + "  // namespace " + self.qual()[2:]


class EnumDecl:
    def __init__(self, name, ns, scoped, under, values):
        self.name, self.ns, self.scoped, self.under, self.values = name, ns, scoped, under, values
        self.owner = None  # a class, for nested enums

    def qname(self):
        return (self.owner.qname() if self.owner else self.ns.qual()) + "::" + self.name

    def render(self, ind=""):
        vals = ", ".join("%s = %s" % (n, v) for n, v in self.values)
        return [ind + "enum %s%s : %s { %s };" % ("class " if self.scoped else "", self.name,
                                                   self.under.spell, vals)]


class Field:
    def __init__(self, name, ty, access="public", bits=None, init=None):
        self.name, self.ty, self.access, self.bits, self.init = name, ty, access, bits, init

    def decl(self):
        if self.ty.c_array:
            s = "%s %s%s" % (self.ty.elem().cpp(), self.name,
                             "".join("[%d]" % d for d in self.ty.dims()))
            return s + (" = {};" if self.init is None else " = %s;" % self.init)
        s = "%s %s" % (self.ty.cpp(), self.name)
        if self.bits is not None:
            s += " : %d" % self.bits
        if self.init is not None:
            s += " = " + self.init
        elif self.bits is not None:
            s += " = false" if isinstance(self.ty, BoolTy) else " = 0"
        else:
            s += "{}"
        return s + ";"


class Param:
    def __init__(self, name, ty, passing="val", default=None, named=True):
        self.name, self.ty, self.passing, self.default, self.named = (name, ty, passing, default,
                                                                      named)

    def decl(self):
        n = self.name if self.named else ""
        t = self.ty.cpp() if not getattr(self, "alias", None) else self.alias
        if self.passing == "arr":
            s = "const %s (&%s)[%d]" % (self.ty.elem().cpp(), n, self.ty.n)
        elif self.passing == "cref":
            s = "const %s& %s" % (t, n)
        elif self.passing == "rref":
            s = "%s&& %s" % (t, n)
        elif self.passing == "ptr":
            s = "%s* %s" % (t, n)
        elif self.passing == "ref":
            s = "%s& %s" % (t, n)
        else:
            s = "%s %s" % (t, n)
        if self.default is not None:
            s += " = " + self.default
        return s.replace("  ", " ").rstrip()


class Method:
    def __init__(self, name, num):
        self.name, self.num = name, num
        self.params = []
        self.ret = None  # a Ty, or None for void
        self.const = False
        self.noexcept = False
        self.annot = None  # None | "stale" | ("stale_ms", n) | "untether"
        self.local_only = False  # SingleWriter, unshippable
        self.ret_ref = False  # returns a reference to a field (local-only)
        self.body = []
        self.auto_ret = False
        self.overloaded = False

    def flags(self):
        f = 0
        if self.const:
            f |= 1
        if self.annot in ("stale",) or isinstance(self.annot, tuple):
            f |= 2
        if self.annot == "untether":
            f |= 4
        if self.ret is not None:
            f |= 8
        if self.local_only:
            f |= 16
        return f

    def stale_ms(self):
        return self.annot[1] if isinstance(self.annot, tuple) else 0

    def render(self, ind):
        if self.ret is None:
            ret = "void"
        elif self.auto_ret:
            ret = "auto"
        else:
            ret = self.ret.cpp() + ("&" if self.ret_ref else "")
        s = "%s%s %s(%s)" % (ind, ret, self.name, ", ".join(p.decl() for p in self.params))
        if self.const:
            s += " const"
        if self.noexcept:
            s += " noexcept"
        if self.annot == "stale":
            s += " S6_STALE"
        elif self.annot == "untether":
            s += " S6_UNTETHER"
        elif isinstance(self.annot, tuple):
            s += " S6_STALE_MS(%d)" % self.annot[1]
        lines = [s + " {"]
        lines += [ind + "  " + b for b in self.body]
        lines.append(ind + "}")
        return lines


class Record:
    """A plain struct (field type or base) or a state class."""

    def __init__(self, g, name, ns):
        self.g, self.name, self.ns = g, name, ns
        self.fields = []
        self.bases = []  # [(Record, access)]
        self.methods = []  # public interface methods declared here
        self.extra_public = []  # lines: nested types, static constants, ctors, operators
        self.extra_private = []
        self.state = None  # None (plain) | "SingleWriter" | "MultiWriter"
        self.orderable = False
        self.recursive = False
        self.final = False
        self.usings = []  # base method names brought in with using
        self.trace = None  # the field methods record their calls in
        self.nested_enums = []
        self.has_s6_state = False
        self.state_macro = None
        self.is_comparator = False
        self.bases_reversed = False
        self.force_no_state = False
        self.private_top = []  # private aliases, declared before the methods that use them

    def ident(self):
        return self.qname()[2:].replace("::", "_")

    def qname(self):
        return self.ns.qual() + "::" + self.name

    def all_fields(self):
        return self.fields

    def canonical(self):
        return all(f.ty.canonical() for f in self.fields if not _self_ref(f.ty, self)) and \
            all(b.canonical() for b, _ in self.bases)

    def floaty(self):
        return any(f.ty.floaty() for f in self.fields if not _self_ref(f.ty, self))

    def needs_state(self):
        return any(f.access != "public" for f in self.fields) or any(
            a != "public" for _, a in self.bases)

    def interface(self):
        """Public methods callable on this class: its own, then inherited through public
        bases (not hidden by a name declared here, unless brought back by `using`)."""
        own = list(self.methods)
        names = {m.name for m in own}
        out = own
        for b, acc in self.bases:
            if acc != "public":
                continue
            for m in b.interface():
                if m.name in names and m.name not in self.usings:
                    continue
                out.append(m)
        return out

    def render(self):
        g = self.g
        lines = []
        kw = "struct" if self.state is None else "class"
        bases = []
        if self.state is not None and not any(b.state for b, _ in self.bases):
            bases.append("public s6::" + self.state)
        for b, acc in self.bases:
            bases.append("%s %s" % (acc, b.qname()))
        if self.bases_reversed:
            bases.reverse()
        head = "%s %s%s" % (kw, self.name, " final" if self.final else "")
        if bases:
            head += " : " + ", ".join(bases)
        lines.append(head + " {")
        if self.private_top:
            lines.append(" private:")
            lines += ["  " + l for l in self.private_top]
        lines.append(" public:")
        for u in self.usings:
            base = next(b for b, _ in self.bases if any(m.name == u for m in b.interface()))
            lines.append("  using %s::%s;" % (base.qname(), u))
        lines += ["  " + l for l in self.extra_public]
        for m in self.methods:
            lines += m.render("  ")
        for sect in ("public", "protected", "private"):
            fs = [f for f in self.fields if f.access == sect]
            if sect == "private":
                if self.extra_private or fs or self.needs_state() or self.state_macro:
                    lines.append(" private:")
                lines += ["  " + l for l in self.extra_private]
            elif fs and sect != "public":
                lines.append(" %s:" % sect)
            lines += ["  " + f.decl() for f in fs]
        if not self.is_comparator:
            lines.append("  friend struct %s;" % ACCESS)
        if self.state is None and not self.is_comparator:
            lines.append("  friend bool operator==(const %s&, const %s&) = default;" %
                         (self.name, self.name))
            if self.orderable:
                lines.append("  friend auto operator<=>(const %s&, const %s&) = default;" %
                             (self.name, self.name))
        if self.state_macro:
            lines.append("  " + self.state_macro)
        elif (self.needs_state() or self.has_s6_state) and not self.force_no_state:
            lines.append("  S6_STATE(%s);" % self.name)
        lines.append("};")
        return lines


def _self_ref(t, rec):
    return isinstance(t, SeqTy) and isinstance(t.t, StructTy) and t.t.decl is rec


def _has_unordered(t, rec):
    if _self_ref(t, rec):
        return False
    return not t.canonical()


# ---------------------------------------------------------------------------------------------
# The generator.


class Gen:
    def __init__(self, seed, without):
        self.seed = seed
        self.rng = random.Random(seed)
        self.without = set(without)
        self.decls = []  # EnumDecl | Record | ("const", ns, line) in emission order
        self.counter = 0
        self.depth_guard = 0
        root = "c%d" % seed
        self.namespaces = [Ns([(root, False)])]
        for i in range(3):
            parts = [(root, False), ("n%d" % i, False)]
            if self.rng.random() < 0.5:
                parts.append(("m%d" % i, self.on("inline-namespace", 0.5)))
            self.namespaces.append(Ns(parts))
        self.enums = []
        self.structs = []  # plain structs usable as field types
        self.bases = []
        self.comparators = {}
        self.consts = []  # (ns, name, IntTy, value)
        self.classes = []

    def on(self, feat, p=1.0):
        assert feat in FEATURES, feat
        return feat not in self.without and self.rng.random() < p

    def uid(self, prefix):
        self.counter += 1
        return "%s%d" % (prefix, self.counter)

    def rand_int(self, lo, hi):
        r = self.rng.random()
        if r < 0.1:
            return lo
        if r < 0.2:
            return hi
        if r < 0.3:
            return max(lo, min(hi, self.rng.choice([0, 1, -1])))
        return self.rng.randint(lo, hi)

    def ns(self):
        return self.rng.choice(self.namespaces)

    # -- types --

    def int_ty(self):
        return IntTy(*self.rng.choice(INT_TYPES))

    def new_enum(self, ns=None):
        scoped = self.rng.random() < 0.6
        under = IntTy(*self.rng.choice([t for t in INT_TYPES if t[0] != "char"]))
        name = self.uid("E")
        vals = []
        for i in range(self.rng.randint(1, 4)):
            vals.append(("k%s_%d" % (name, i), under.lit(self.rand_int(under.lo(), under.hi()))))
        e = EnumDecl(name, ns or self.ns(), scoped, under, vals)
        self.decls.append(e)
        self.enums.append(e)
        return e

    def enum_ty(self):
        if self.enums and self.rng.random() < 0.6:
            return EnumTy(self.rng.choice(self.enums))
        return EnumTy(self.new_enum())

    def comparator(self, kind):
        if kind == "custom":
            if "custom" not in self.comparators:
                ns = self.ns()
                r = Record(self, self.uid("RevLess"), ns)
                r.is_comparator = True
                r.extra_public = [
                    "template <typename A>",
                    "bool operator()(const A& a, const A& b) const { return b < a; }"]
                self.decls.append(r)
                self.comparators["custom"] = r
            return self.comparators["custom"]
        return kind

    def pick_cmp(self, k):
        r = self.rng.random()
        if r < 0.15 and self.on("comparator-greater"):
            return "greater"
        if r < 0.22 and self.on("comparator-transparent"):
            return "greater<>"
        if r < 0.3 and self.on("comparator-custom"):
            return self.comparator("custom")
        if r < 0.35:
            return "less"
        return None

    def key_ty(self, depth, need):
        opts = [lambda: self.int_ty()]
        if self.on("string"):
            opts.append(lambda: StringTy())
        if self.on("enum"):
            opts.append(lambda: self.enum_ty())
        if need == "ordered":
            opts.append(lambda: BoolTy())
            if self.on("struct"):
                keyable = [s for s in self.structs if s.orderable]
                if keyable:
                    opts.append(lambda: StructTy(self.rng.choice(keyable)))
            if self.on("fivetuple", 0.3):
                opts.append(lambda: FiveTupleTy())
            if depth > 0:
                if self.on("pair"):
                    opts.append(lambda: TupleTy("pair", [self.key_ty(depth - 1, need),
                                                         self.key_ty(depth - 1, need)]))
                if self.on("tuple"):
                    opts.append(lambda: TupleTy("tuple", [self.key_ty(depth - 1, need)
                                                          for _ in range(self.rng.randint(2, 3))]))
                if self.on("std-array"):
                    opts.append(lambda: StdArrayTy(self.key_ty(0, need), self.rng.randint(0, 3)))
                if self.on("optional"):
                    opts.append(lambda: OptionalTy(self.key_ty(depth - 1, need)))
                if self.on("vector"):
                    opts.append(lambda: SeqTy("vector", self.key_ty(depth - 1, need)))
        return self.rng.choice(opts)()

    def ty(self, depth, allow_c_array=False):
        """A random supported type with containers nested up to `depth` levels."""
        rng = self.rng
        leaf = [(5, lambda: self.int_ty()), (1, lambda: BoolTy())]
        if self.on("float"):
            leaf.append((1, lambda: FloatTy(rng.choice(["float", "double"]))))
        if self.on("enum"):
            leaf.append((2, lambda: self.enum_ty()))
        if self.on("string"):
            leaf.append((2, lambda: StringTy()))
        if self.on("struct") and self.structs:
            leaf.append((3, lambda: StructTy(rng.choice(self.structs))))
        if self.on("fivetuple", 0.2):
            leaf.append((1, lambda: FiveTupleTy()))
        if self.on("bitset"):
            sizes = [1, 7, 8, 13, 64, 65, 200]
            if self.on("bitset-big", 0.3):
                sizes.append(65536)
            if self.on("bitset-zero", 0.2):
                sizes.append(0)
            leaf.append((1, lambda: BitsetTy(rng.choice(sizes))))
        opts = list(leaf)
        if depth > 0:
            d = depth - 1
            if self.on("std-array"):
                opts.append((1, lambda: StdArrayTy(self.ty(d), rng.randint(0, 4))))
            for k in ("vector", "deque", "list"):
                if self.on(k):
                    opts.append((2 if k == "vector" else 1, lambda k=k: SeqTy(k, self.ty(d))))
            for k, need in (("map", "ordered"), ("multimap", "ordered"),
                            ("unordered_map", "hash")):
                if self.on(k.replace("_", "-")):
                    def mk(k=k, need=need):
                        key = self.key_ty(d, need)
                        return MapTy(k, key, self.ty(d),
                                     self.pick_cmp(key) if need == "ordered" else None)
                    opts.append((2 if k == "map" else 1, mk))
            for k, need in (("set", "ordered"), ("multiset", "ordered"),
                            ("unordered_set", "hash")):
                if self.on(k.replace("_", "-")):
                    def mk(k=k, need=need):
                        key = self.key_ty(d, need)
                        return SetTy(k, key, self.pick_cmp(key) if need == "ordered" else None)
                    opts.append((1, mk))
            if self.on("optional"):
                opts.append((2, lambda: OptionalTy(self.ty(d))))
            if self.on("pair"):
                opts.append((1, lambda: TupleTy("pair", [self.ty(d), self.ty(d)])))
            if self.on("tuple"):
                def mk_tuple():
                    n = rng.randint(0, 3)
                    ts = [self.ty(d) for _ in range(n)]
                    if n == 1 and not isinstance(ts[0], (IntTy, StringTy, BoolTy)):
                        ts = [StringTy()]
                    return TupleTy("tuple", ts)
                opts.append((1, mk_tuple))
            if allow_c_array and self.on("c-array"):
                def mk_carray():
                    elem = self.ty(d)
                    t = CArrayTy(elem, rng.randint(1, 3))
                    if rng.random() < 0.3:
                        t = CArrayTy(CArrayTy(elem, rng.randint(1, 3)), rng.randint(1, 2))
                    return t
                opts.append((1, mk_carray))
        total = sum(w for w, _ in opts)
        x = rng.uniform(0, total)
        for w, f in opts:
            x -= w
            if x <= 0:
                return f()
        return opts[-1][1]()

    # -- records --

    def new_struct(self, depth, orderable=False, as_base=False):
        r = Record(self, self.uid("Base" if as_base else "S"), self.ns())
        r.orderable = orderable
        n = self.rng.randint(0, 4)
        for i in range(n):
            if orderable:
                t = self.key_ty(min(depth, 1), "ordered")
            else:
                t = self.ty(depth, allow_c_array=True)
            r.fields.append(Field("f%d" % i, t))
        if not orderable and self.on("bitfield", 0.2):
            t = IntTy(*self.rng.choice([t for t in INT_TYPES if t[0] in (
                "uint8_t", "uint32_t", "int32_t", "unsigned", "uint16_t", "int64_t")]))
            w = self.rng.randint(1, t.bits - 1)
            r.fields.append(Field("bits%d" % n, t, bits=w))
            if self.rng.random() < 0.5:
                r.fields.append(Field("flag%d" % n, BoolTy(), bits=1))
        if not orderable and self.rng.random() < 0.3:
            acc = [a for a, f in (("protected", "protected-fields"), ("private", "private-fields"))
                   if self.on(f)]
            if acc:
                for f in r.fields:
                    if self.rng.random() < 0.5:
                        f.access = self.rng.choice(acc)
        if as_base:
            r.trace = Field("trace_%s" % r.name, SeqTy("vector", IntTy("uint32_t", 32, False)))
            r.fields.append(r.trace)
        if not as_base:  # a base is appended once its methods exist
            self.decls.append(r)
            self.structs.append(r)
        return r

    def new_recursive(self):
        r = Record(self, self.uid("Tree"), self.ns())
        r.recursive = True
        r.fields.append(Field("value", self.int_ty()))
        r.fields.append(Field("kids", SeqTy("vector", StructTy(r))))
        if self.on("string", 0.5):
            r.fields.append(Field("label", StringTy()))
        self.decls.append(r)
        self.structs.append(r)
        return r

    def prelude(self):
        """Enums, constants and structs that classes can use."""
        for _ in range(self.rng.randint(1, 3)):
            if self.on("enum"):
                self.new_enum()
        for ns in self.namespaces:
            t = self.int_ty()
            name = self.uid("kConst")
            v = self.rand_int(t.lo(), t.hi())
            self.consts.append((ns, name, t, v))
            self.decls.append(("const", ns, "inline constexpr %s %s = %s;" % (
                t.spell, name, t.lit(v))))
        if self.on("struct"):
            for d in range(self.rng.randint(2, 5)):
                self.new_struct(depth=min(d, 2))
            for _ in range(self.rng.randint(0, 2)):
                self.new_struct(depth=1, orderable=True)
            if self.on("recursive", 0.5):
                self.new_recursive()

    # -- methods --

    def field_for(self, owner, t, prefix="p"):
        """A field of `owner` of type t (reused or added)."""
        for f in owner.fields:
            if f.ty.cpp() == t.cpp() and f.bits is None and f is not owner.trace and \
                    not f.ty.c_array:
                if self.rng.random() < 0.6:
                    return f
        acc = "public"
        if owner.state is not None and self.rng.random() < 0.4 and self.on("private-fields"):
            acc = "private"
        f = Field("%s%d_" % (prefix, len(owner.fields)), t, access=acc)
        owner.fields.append(f)
        return f

    def param_ty(self):
        return self.ty(self.rng.randint(0, 2))

    def default_for(self, owner, p):
        """A default argument for parameter p (or None)."""
        t = p.ty
        rng = self.rng
        opts = []
        if isinstance(t, IntTy):
            if self.on("default-literal"):
                opts.append(lambda: "%d" % rng.randint(0, 100))
            cands = [c for c in self.consts if c[2].spell == t.spell]
            if cands and self.on("default-ns-const"):
                ns, name, _, _ = rng.choice(cands)
                if ns.qual() == owner.ns.qual() and rng.random() < 0.5:
                    opts.append(lambda: name)
                else:
                    opts.append(lambda: ns.qual() + "::" + name)
            if owner.state is not None and self.on("default-class-scope") and not owner.final:
                def static_member():
                    name = self.uid("kStep")
                    owner.extra_public.append("static constexpr %s %s = %s;" % (
                        t.spell, name, t.lit(rng.randint(0, 50))))
                    return name
                opts.append(static_member)
            prot = [b for b, a in owner.bases if getattr(b, "protected_const", None) and
                    a != "private"]  # privately inherited: refused (diagnostics/)
            if prot and self.on("default-base-protected") and not owner.final and \
                    t.spell == "int64_t":
                opts.append(lambda: prot[0].protected_const)
        elif isinstance(t, BoolTy) and self.on("default-literal"):
            opts.append(lambda: rng.choice(["true", "false"]))
        elif isinstance(t, EnumTy) and self.on("default-enumerator"):
            d = t.decl
            if d.owner is None:
                n = rng.choice(d.values)[0]
                if d.scoped:
                    opts.append(lambda: ("%s::%s" % (d.name, n)) if d.ns.qual() == owner.ns.qual()
                                else "%s::%s" % (d.qname(), n))
                else:
                    opts.append(lambda: n if d.ns.qual() == owner.ns.qual()
                                else "%s::%s" % (d.ns.qual(), n))
            elif d.owner is owner and not owner.final:
                n = rng.choice(d.values)[0]
                opts.append(lambda: "%s::%s" % (d.name, n) if d.scoped else n)
        elif isinstance(t, StringTy) and self.on("default-string"):
            opts.append(lambda: rng.choice(['"dflt"', "std::string(3, 'x')", '""']))
        elif isinstance(t, StructTy) and self.on("default-struct") and not t.decl.needs_state():
            opts.append(lambda: "%s{}" % t.cpp())
        if isinstance(t, (SeqTy, MapTy, SetTy, OptionalTy)) and self.on("default-braced"):
            opts.append(lambda: "{}")
        if not opts:
            return None
        return rng.choice(opts)()

    def make_method(self, owner, mw, shape, name=None, nparams=None, types=None):
        rng = self.rng
        m = Method(name or self.uid("m"), self.counter)
        self.counter += 1
        m.num = self.counter
        const = shape in ("get", "stale")
        m.const = const
        n = nparams if nparams is not None else rng.randint(0, 3)
        for i in range(n):
            t = types[i] if types else self.param_ty()
            passing = rng.choice(["val", "val", "cref", "rref"] if self.on("rvalue-param")
                                 else ["val", "cref"])
            p = Param("a%d" % i, t, passing)
            m.params.append(p)
        if shape != "set" and shape != "untether" and rng.random() < 0.8 or shape == "stale":
            m.ret = self.param_ty() if const or rng.random() < 0.5 else None
            if shape == "stale" and m.ret is None:
                m.ret = self.int_ty()
        # Body.
        body = []
        if not const:
            body.append("%s.push_back(%d);" % (owner.trace.name, m.num))
        for p in m.params:
            if not p.named:
                continue
            if const:
                body.append("(void)%s;" % p.name)
                continue
            f = self.field_for(owner, p.ty)
            if p.passing == "rref":
                body.append("%s = std::move(%s);" % (f.name, p.name))
            else:
                body.append("%s = %s;" % (f.name, p.name))
        if m.ret is not None:
            src = None
            if not const:
                for p in m.params:
                    if p.ty.cpp() == m.ret.cpp() and p.named and p.passing != "rref" and \
                            rng.random() < 0.5:
                        src = p.name
            if src is None:
                src = self.field_for(owner, m.ret, "r").name
            body.append("return %s;" % src)
        m.body = body
        if self.on("noexcept", 0.15):
            m.noexcept = True
        if mw and shape == "stale" and self.on("stale"):
            m.annot = "stale" if rng.random() < 0.5 else ("stale_ms", rng.choice(
                [1, 10, 250, 100000, 2147483647]))
        if mw and shape == "untether" and m.ret is None and self.on("untether"):
            m.annot = "untether"
        if m.ret is not None and self.on("auto-return", 0.1) and not owner.state is None:
            m.auto_ret = True
        return m

    def add_defaults(self, owner, m):
        started = False
        for p in reversed(m.params):
            if p.passing == "rref" or not p.named:
                break
            if not started and self.rng.random() < 0.5:
                break
            d = self.default_for(owner, p)
            if d is None:
                break
            p.default = d
            started = True

    def methods_for(self, owner, mw, count):
        rng = self.rng
        shapes = ["set", "setret", "get"]
        if mw:
            shapes += ["stale", "untether"]
        for _ in range(count):
            shape = rng.choice(shapes)
            m = self.make_method(owner, mw, shape)
            if m.params and rng.random() < 0.6:
                self.add_defaults(owner, m)
            owner.methods.append(m)

    def overloads(self, owner, mw):
        rng = self.rng
        name = self.uid("ov")
        kind = rng.choice(["arity"] * 3 + (["refkind"] if self.on("overload-refkind") else []) +
                          (["width"] if self.on("overload-width") else []))
        ms = []
        if kind == "arity":
            for n in rng.sample(range(0, 4), rng.randint(2, 3)):
                ms.append(self.make_method(owner, mw, rng.choice(["set", "setret"]), name, n))
        elif kind == "refkind":
            t = rng.choice([StringTy(), SeqTy("vector", self.int_ty())])
            a = self.make_method(owner, mw, "set", name, 1, [t])
            b = self.make_method(owner, mw, "set", name, 1, [t])
            a.params[0].passing, b.params[0].passing = "cref", "rref"
            b.body = [l.replace("= a0;", "= std::move(a0);") for l in b.body]
            ms = [a, b]
        else:
            pair = rng.choice([("long", "long long"), ("char", "signed char"),
                               ("unsigned long", "unsigned long long")])
            for sp in pair:
                t = IntTy(sp, 64 if "long" in sp else 8, sp != "unsigned long" and
                          sp != "unsigned long long")
                ms.append(self.make_method(owner, mw, "set", name, 1, [t]))
        for m in ms:
            m.overloaded = True
            for p in m.params:
                p.default = None
        owner.methods += ms

    def special_methods(self, owner, mw):
        rng = self.rng
        if self.on("array-param", 0.3):
            t = CArrayTy(self.int_ty(), rng.randint(1, 4))
            m = Method(self.uid("arr"), 0)
            self.counter += 1
            m.num = self.counter
            f = Field("arrf%d_" % len(owner.fields), t)
            owner.fields.append(f)
            m.params = [Param("a", t, "arr")]
            m.body = ["%s.push_back(%d);" % (owner.trace.name, m.num),
                      "for (std::size_t i = 0; i < %d; ++i) %s[i] = a[i];" % (t.n, f.name)]
            owner.methods.append(m)
        if self.on("unnamed-param", 0.3):
            m = self.make_method(owner, mw, rng.choice(["set", "setret"]), None, 2)
            m.params[0].named = False
            m.auto_ret = False
            m.body = [l for l in m.body if "a0" not in l]
            if m.ret is not None and not any(l.startswith("return") for l in m.body):
                m.body.append("return %s;" % self.field_for(owner, m.ret, "r").name)
            owner.methods.append(m)
        modes = [e for e in owner.nested_enums if e.owner is owner]
        if modes and not owner.final and self.on("default-class-scope", 0.7):
            e = modes[0]
            m = self.make_method(owner, mw, "set", None, 1, [EnumTy(e)])
            m.params[0].passing = "val"
            n = rng.choice(e.values)[0]
            m.params[0].default = "%s::%s" % (e.name, n) if e.scoped else n
            owner.methods.append(m)
        prot = [b for b, a in owner.bases if getattr(b, "protected_const", None) and
                a != "private"]  # privately inherited: refused (diagnostics/)
        if prot and not owner.final and self.on("default-base-protected", 0.7):
            m = self.make_method(owner, mw, "set", None, 1, [IntTy("int64_t", 64, True)])
            m.params[0].passing = "val"
            m.params[0].default = prot[0].protected_const
            owner.methods.append(m)
        if self.on("private-alias", 0.3):
            t = self.param_ty()
            if "private-alias-tuple" in self.without and "std::tuple" in t.cpp():
                t = SeqTy("vector", StringTy())
            alias = self.uid("Alias")
            owner.private_top.append("using %s = %s;" % (alias, t.cpp()))
            m = self.make_method(owner, mw, "set", None, 1, [t])
            m.params[0].alias = alias
            m.params[0].passing = rng.choice(["val", "cref"])
            owner.methods.append(m)
        if not mw and self.on("local-only", 0.5):
            kind = rng.choice(["ptr", "ref", "retref"])
            m = Method(self.uid("local"), 0)
            m.local_only = True
            t = self.int_ty()
            f = self.field_for(owner, t, "l")
            if kind == "ptr":
                m.params = [Param("out", t, "ptr")]
                m.const = True
                m.body = ["*out = %s;" % f.name]
            elif kind == "ref":
                m.params = [Param("io", t, "ref")]
                m.body = ["std::swap(io, %s);" % f.name]
            else:
                m.ret, m.ret_ref = t, True
                m.body = ["return %s;" % f.name]
            m.kind = kind
            owner.methods.append(m)
        if self.on("private-unshippable", 0.3):
            owner.extra_private += ["void helper_(int32_t& out, const int32_t* in) const {",
                                    "  out = *in;", "}"]
        if self.on("static-method", 0.3):
            owner.extra_public += ["static int32_t twice(int32_t* p) { return *p * 2; }"]
        if self.on("member-operator", 0.2):
            owner.extra_public += ["bool operator!=(const %s& o) const { return this != &o; }" %
                                   owner.name]
        if self.on("ctors", 0.2):
            owner.extra_public += ["%s() = default;" % owner.name,
                                   "explicit %s(const int32_t* seed) { (void)seed; }" %
                                   owner.name]

    def new_base(self, mw):
        b = self.new_struct(depth=1, as_base=True)
        if self.on("default-base-protected", 0.3):
            b.protected_const = self.uid("kProt")
            b.extra_private = []
            b.prot_lines = ["static constexpr int64_t %s = %d;" % (b.protected_const,
                                                                    self.rng.randint(0, 9))]
        for _ in range(self.rng.randint(1, 2)):
            m = self.make_method(b, mw, self.rng.choice(["set", "setret", "get"]))
            m.name = "%s_%s" % (b.name.lower(), m.name)
            if not m.const and m.params and self.rng.random() < 0.5:
                self.add_defaults(b, m)
            b.methods.append(m)
        self.decls.append(b)
        self.bases.append((b, mw))
        return b

    def new_class(self, mw=None, final=None):
        rng = self.rng
        if mw is None:
            mw = rng.random() < 0.6
        c = Record(self, self.uid("Mw" if mw else "Sw"), self.ns())
        c.state = "MultiWriter" if mw else "SingleWriter"
        c.has_s6_state = True
        if final is not None:
            c.final = final
        elif self.on("final", 0.15):
            c.final = True
        c.trace = Field("trace_", SeqTy("vector", IntTy("uint32_t", 32, False)))
        c.fields.append(c.trace)
        if self.on("base", 0.4):
            acc = "public"
            if self.on("base-private", 0.2):
                acc = rng.choice(["protected", "private"])
            c.bases.append((self.new_base(mw), acc))
        if self.on("state-base", 0.1):
            same = [k for k in self.classes if (k.state == "MultiWriter") == mw and not k.final]
            if same:
                c.bases.append((rng.choice(same), "public"))
                c.trace = Field("trace2_", SeqTy("vector", IntTy("uint32_t", 32, False)))
                c.fields.append(c.trace)
        if self.on("enum", 0.3):
            e = EnumDecl(self.uid("Mode"), c.ns, rng.random() < 0.5,
                         IntTy("uint8_t", 8, False), [])
            e.values = [("k%s_%d" % (e.name, i), str(i * 3)) for i in range(3)]
            e.owner = c
            c.nested_enums.append(e)
            c.extra_public += e.render()
            c.fields.append(Field("mode_", EnumTy(e)))
        for i in range(rng.randint(1, 6)):
            acc = rng.choice(["public", "public"] +
                             (["protected"] if self.on("protected-fields") else []) +
                             (["private"] if self.on("private-fields") else []))
            t = self.ty(rng.randint(0, 3), allow_c_array=True)
            init = None
            if isinstance(t, IntTy) and rng.random() < 0.3:
                init = t.lit(rng.randint(0, 100))
            c.fields.append(Field("v%d_" % i, t, access=acc, init=init))
        if self.on("bitfield", 0.2):
            c.fields.append(Field("bf_", IntTy("uint32_t", 32, False), bits=rng.randint(1, 31),
                                  access=rng.choice(["public", "private"])))
        self.methods_for(c, mw, rng.randint(1, 5))
        if self.on("overload", 0.4):
            self.overloads(c, mw)
        self.special_methods(c, mw)
        pub_bases = [b for b, a in c.bases if a == "public" and b.state is None]
        if pub_bases and self.on("using-base", 0.3):
            b = pub_bases[0]
            bm = b.methods[0]
            m = self.make_method(c, mw, "set", bm.name, len(bm.params) + 1)
            m.overloaded = True
            bm.overloaded = True
            for p in bm.params:
                p.default = None
            c.usings.append(bm.name)
            c.methods.append(m)
        if mw and self.on("stale", 0.4) and not any(m.annot for m in c.methods):
            c.methods.append(self.make_method(c, mw, "stale"))
        c.bases_reversed = len(c.bases) > 0 and rng.random() < 0.3
        self.decls.append(c)
        self.classes.append(c)
        return c


# ---------------------------------------------------------------------------------------------
# Rendering the header.

INCLUDES = ["array", "bitset", "cstddef", "cstdint", "deque", "functional", "limits", "list",
            "map", "optional", "set", "string", "tuple", "unordered_map", "unordered_set",
            "utility", "vector"]


def render_header(g, decls, guard_comment, extra_includes=()):
    lines = ["// Generated by gen_corpus.py (seed %d). %s" % (g.seed, guard_comment),
             "#pragma once", ""]
    for inc in INCLUDES + list(extra_includes):
        lines.append("#include <%s>" % inc)
    lines += ["", "#include <s6/net.h>", "#include <s6/object.h>", "",
              "namespace corpus_access {", "struct Access;", "}  // namespace corpus_access", ""]
    for d in decls:
        if isinstance(d, tuple):
            _, ns, text = d
            lines += [ns.open(), text, ns.close(), ""]
            continue
        ns = d.ns
        lines.append(ns.open())
        if isinstance(d, EnumDecl):
            lines += d.render()
        else:
            body = d.render()
            if getattr(d, "prot_lines", None):
                idx = body.index(" public:")
                body[idx + 1:idx + 1] = [" protected:"] + ["  " + l for l in d.prot_lines] + \
                    [" public:"]
            lines += body
        lines += [ns.close(), ""]
    return lines


# ---------------------------------------------------------------------------------------------
# The driver.


def fill_stmts(g, rec, variant, obj):
    """Statements that set every field of `rec` declared in it (not bases) on `obj`."""
    out = []
    mode = {1: "min", 2: "max"}.get(variant, "rand")
    for f in rec.fields:
        if f.bits is not None:
            mx = (1 << f.bits) - 1
            if isinstance(f.ty, BoolTy):
                v = "true" if variant in (2, 3) else "false"
            else:
                hi = mx if not f.ty.signed else (1 << (f.bits - 1)) - 1
                lo = 0 if not f.ty.signed else -(1 << (f.bits - 1))
                v = {1: lo, 2: hi}.get(variant, g.rng.randint(lo, hi))
                v = "static_cast<%s>(%dLL)" % (f.ty.spell, v)
            out.append("%s.%s = %s;" % (obj, f.name, v))
            continue
        if f.ty.c_array:
            idx = []

            def walk(t, path):
                if t.c_array:
                    for i in range(t.n):
                        walk(t.t, path + [i])
                else:
                    out.append("%s.%s%s = %s;" % (obj, f.name, "".join("[%d]" % i for i in path),
                                                  t.expr(g, mode)))
            walk(f.ty, idx)
            continue
        if _self_ref(f.ty, rec):
            if variant > 0:
                out.append("%s.%s = {Make_%s(%d), Make_%s(%d)};" % (
                    obj, f.name, rec.ident(), variant - 1, rec.ident(), max(0, variant - 2)))
            continue
        out.append("%s.%s = %s;" % (obj, f.name, f.ty.expr(g, mode)))
    return out


def diff_stmts(rec):
    out = ["(void)a;", "(void)b;", "(void)where;"]
    for b, _ in rec.bases:
        out.append("if (!Diff(static_cast<const %s&>(a), static_cast<const %s&>(b), where)) {"
                   % (b.qname(), b.qname()))
        out.append('  where = "%s/" + where;' % b.name)
        out.append("  return false;")
        out.append("}")
    for f in rec.fields:
        if isinstance(f.ty, StructTy) and f.ty.decl is not rec:
            out.append("if (!Diff(a.%s, b.%s, where)) {" % (f.name, f.name))
            out.append('  where = "%s." + where;' % f.name)
            out.append("  return false;")
            out.append("}")
        else:
            out.append("if (!::corpus::Same(a.%s, b.%s)) {" % (f.name, f.name))
            out.append('  where = "%s";' % f.name)
            out.append("  return false;")
            out.append("}")
    return out


def arg_exprs(g, m, mode):
    return [p.ty.expr(g, mode) for p in m.params]


def call_stmts(g, c, m, label):
    """Statements calling m on `direct` and through `stub`, comparing results."""
    rng = g.rng
    out = []
    if m.local_only:
        k = getattr(m, "kind", "ptr")
        t = m.ret if m.ret is not None else m.params[0].ty
        if k == "ptr":
            out += ["{", "  %s x{}, y{};" % t.cpp(), "  direct.%s(&x);" % m.name,
                    "  home.%s(&y);" % m.name,
                    '  ::corpus::Check(::corpus::Same(x, y), "%s");' % label, "}"]
        elif k == "ref":
            v = t.expr(g, "rand")
            out += ["{", "  %s x = %s, y = %s;" % (t.cpp(), v, v), "  direct.%s(x);" % m.name,
                    "  home.%s(y);" % m.name,
                    '  ::corpus::Check(::corpus::Same(x, y), "%s");' % label, "}"]
        else:
            v = t.expr(g, "rand")
            out += ["direct.%s() = %s;" % (m.name, v), "home.%s() = %s;" % (m.name, v)]
        args = ", ".join("std::declval<%s>()" % (p.decl().rsplit(" ", 1)[0]
                                                 if p.passing in ("ptr", "ref") else
                                                 p.ty.cpp()) for p in m.params)
        out.append("[](auto& s) {")
        out.append("  static_assert(!requires { s.%s(%s); }, \"local-only method in the stub\");"
                   % (m.name, args))
        out.append("}(stub);")
        return out
    # Which trailing defaults to omit.
    ndef = 0
    for p in reversed(m.params):
        if p.default is None:
            break
        ndef += 1
    omit = rng.randint(0, ndef) if ndef else 0
    params = m.params[:len(m.params) - omit]
    mode = rng.choice(["rand", "rand", "min", "max"])
    pre = []
    args = []
    for i, p in enumerate(params):
        if p.passing == "arr":
            vals = ", ".join(p.ty.t.expr(g, mode) for _ in range(p.ty.n))
            pre.append("const %s arg%d[%d] = {%s};" % (p.ty.t.cpp(), i, p.ty.n, vals))
            args.append("arg%d" % i)
        elif p.passing == "rref" or (m.overloaded and rng.random() < 0.5):
            args.append(p.ty.expr(g, mode))
        else:
            pre.append("const %s arg%d = %s;" % (p.ty.cpp(), i, p.ty.expr(g, mode)))
            args.append("arg%d" % i)
    a = ", ".join(args)
    out.append("{")
    out += ["  " + s for s in pre]
    if m.annot == "stale" or isinstance(m.annot, tuple):
        out.append("  caller.AdvanceMs(kPastAnyBound);")
    if m.ret is None:
        out.append("  direct.%s(%s);" % (m.name, a))
        out.append("  stub.%s(%s);" % (m.name, a))
    else:
        out.append("  const auto r1 = direct.%s(%s);" % (m.name, a))
        via = "cstub" if m.const and rng.random() < 0.5 else "stub"
        out.append("  const auto r2 = %s.%s(%s);" % (via, m.name, a))
        out.append('  ::corpus::Check(::corpus::Same(r1, r2), "%s: result");' % label)
        if m.annot == "stale" or isinstance(m.annot, tuple):
            out.append("  const auto r3 = stub.%s(%s);  // may come from the cache" % (m.name, a))
            out.append('  ::corpus::Check(::corpus::Same(r1, r3), "%s: cached result");' % label)
    out.append("}")
    return out


def render_driver(g, header_stem, classes, records):
    L = []
    L += ["// Generated by gen_corpus.py (seed %d). Do not edit." % g.seed,
          '#include "%s.s6.h"' % header_stem, "",
          "#include <cstdio>", "#include <limits>", "#include <string>", "#include <utility>",
          "", "#include <s6/testing/loopback_caller.h>", "", '#include "corpus_support.h"', "",
          "namespace corpus_access {", "", "struct Access {"]
    for r in records:
        q = r.qname()
        L.append("  static void Fill(%s& o, int v) {" % q)
        L.append("    (void)o;")
        for b, _ in r.bases:
            L.append("    Fill(static_cast<%s&>(o), v);" % b.qname())
        L.append("    switch (v) {")
        for v in range(1, 5):
            L.append("      case %d:" % v)
            g.depth_guard = 1 if r.recursive else 0
            L += ["        " + s for s in fill_stmts(g, r, v, "o")]
            g.depth_guard = 0
            L.append("        break;")
        L += ["      default:", "        break;", "    }", "  }"]
        L.append("  static %s Make_%s(int v) {" % (q, r.ident()))
        L += ["    %s o{};" % q, "    Fill(o, v);", "    return o;", "  }"]
        L.append("  static bool Diff(const %s& a, const %s& b, std::string& where) {" % (q, q))
        L += ["    " + s for s in diff_stmts(r)]
        L += ["    return true;", "  }"]
    L += ["};", "", "}  // namespace corpus_access", "", "namespace {", "",
          "using corpus_access::Access;",
          "constexpr uint64_t kPastAnyBound = uint64_t{1} << 33;", ""]
    for c in classes:
        q = c.qname()
        L.append("void Test_%s() {" % c.ident())
        L.append('  ::corpus::current_class = "%s";' % q)
        canon = "true" if c.canonical() else "false"
        for v in range(5):
            L.append("  {")
            L.append("    %s o{};" % q)
            L.append("    Access::Fill(o, %d);" % v)
            L.append('    ::corpus::RoundTrip<Access>(o, %s, "variant %d");' % (canon, v))
            L.append("  }")
        # Descriptor.
        exp = []
        for m in c.interface():
            exp.append('{"%s", %du, %du}' % (m.name, m.flags(), m.stale_ms()))
        L.append("  ::corpus::CheckDescriptor<%s>(s6::ObjectKind::k%s, {%s});" % (
            q, c.state, ", ".join(exp)))
        # Calls.
        L += ["  {", "    %s direct{};" % q, "    %s home{};" % q,
              "    Access::Fill(direct, 3);", "    Access::Fill(home, 3);",
              "    s6::testing::LoopbackCaller<%s> caller(home);" % q,
              "    s6::Stub<%s> stub(caller);" % q,
              "    const s6::Stub<%s>& cstub = stub;" % q, "    (void)cstub;"]
        calls = []
        iface = c.interface()
        for m in iface:
            calls.append(m)
        for _ in range(g.rng.randint(0, len(iface) + 1)):
            if iface:
                calls.append(g.rng.choice(iface))
        g.rng.shuffle(calls)
        for i, m in enumerate(calls):
            label = "%s#%d" % (m.name, i)
            L += ["    " + s for s in call_stmts(g, c, m, label)]
        L += ["    caller.Flush();", "    std::string where;",
              '    ::corpus::Check(Access::Diff(direct, home, where), "state after calls", where);',
              "  }", "}", ""]
    L += ["}  // namespace", "", "int main() {"]
    for c in classes:
        L.append("  Test_%s();" % c.ident())
    L += ['  return ::corpus::Finish("%s", %d);' % (header_stem, len(classes)), "}"]
    return L


# ---------------------------------------------------------------------------------------------
# Invalid constructs: (name, kind needed, how to inject, expected message fragment).


def inject_invalid(g, construct):
    """Builds one class with exactly one unsupported construct; returns (decls, marker text,
    expected message fragment, extra includes)."""
    mw = construct in MW_ONLY or (construct not in SW_ONLY and g.rng.random() < 0.5)
    c = g.new_class(mw=mw, final=True if construct == "final-scope-default" else None)
    inc = []
    mark = "  // <- the unsupported construct"
    pub = None  # a line for the public section
    expect = None
    ns = c.ns
    if construct == "raw-pointer-field":
        pub, expect = "int32_t* bad_ = nullptr;", "raw pointers"
    elif construct == "reference-field":
        g.decls.insert(0, ("const", ns, "inline int32_t g_target = 0;"))
        pub, expect = "int32_t& bad_ = g_target;", "references can't move"
    elif construct == "function-field":
        pub, expect = "std::function<void()> bad_;", "std::function"
    elif construct == "unique-ptr-field":
        inc.append("memory")
        pub, expect = "std::unique_ptr<int32_t> bad_;", "std::unique_ptr"
    elif construct == "shared-ptr-field":
        inc.append("memory")
        pub, expect = "std::vector<std::shared_ptr<std::string>> bad_;", "std::shared_ptr"
    elif construct == "string-view-field":
        inc.append("string_view")
        pub, expect = "std::string_view bad_;", "does not own its data"
    elif construct == "atomic-field":
        inc.append("atomic")
        pub, expect = "std::atomic<uint32_t> bad_{0};", "std::atomic"
    elif construct == "variant-field":
        inc.append("variant")
        pub, expect = "std::variant<int32_t, std::string> bad_;", "not a supported state type"
    elif construct == "long-double-field":
        pub, expect = "std::optional<long double> bad_;", "no portable encoding"
    elif construct == "int128-field":
        pub, expect = "__int128 bad_ = 0;", "no portable encoding"
    elif construct == "const-field":
        pub, expect = "const int32_t bad_ = 1;", "const or volatile"
    elif construct == "enum-no-fixed-type":
        g.decls.insert(0, ("const", ns, "enum Loose%d { kLoose%dA, kLoose%dB };" % (
            g.seed, g.seed, g.seed)))
        pub, expect = "std::map<int32_t, Loose%d> bad_;" % g.seed, "no fixed underlying type"
    elif construct == "chrono-field":
        inc.append("chrono")
        pub, expect = "std::chrono::milliseconds bad_{};", "not a supported state type"
    elif construct == "virtual-method":
        pub, expect = "virtual void bad() {}", "virtual"
    elif construct == "virtual-dtor":
        pub, expect = "virtual ~%s() = default;" % c.name, "virtual"
    elif construct == "mw-non-const-ref-param":
        pub, expect = "void bad(int32_t& out) { out = 1; }", "non-const reference"
    elif construct == "mw-pointer-param":
        pub, expect = "void bad(const std::string* s) { (void)s; }", "can't be shipped"
    elif construct == "mw-returns-reference":
        pub, expect = "const std::vector<uint32_t>& bad() const { return trace_; }", \
            "returns a reference"
    elif construct == "mw-member-template":
        pub, expect = "template <typename T> void bad(T) {}", "member function templates"
    elif construct == "mw-variadic":
        pub, expect = "void bad(int32_t n, ...) { (void)n; }", "variadic"
    elif construct == "mw-ref-qualified":
        pub, expect = "void bad() & {}", "ref-qualified"
    elif construct == "stale-non-const":
        pub, expect = "int32_t bad() S6_STALE { return 1; }", "must be const"
    elif construct == "untether-non-void":
        pub, expect = "int32_t bad() S6_UNTETHER { return 1; }", "must return void"
    elif construct == "stale-void":
        pub, expect = "void bad() const S6_STALE {}", "returns void"
    elif construct == "stale-ms-zero":
        pub, expect = "int32_t bad() const S6_STALE_MS(0) { return 1; }", "positive integer"
    elif construct == "stale-and-untether":
        pub, expect = "void bad() const S6_STALE S6_UNTETHER {}", "can't be both"
    elif construct == "stale-on-sw":
        pub, expect = "int32_t bad() const S6_STALE { return 1; }", "no meaning in SingleWriter"
    elif construct == "untether-on-sw":
        pub, expect = "void bad() S6_UNTETHER {}", "no meaning in SingleWriter"
    elif construct == "default-private":
        c.extra_private.append("static constexpr int32_t kHidden = 4;")
        pub, expect = "void bad(int32_t n = kHidden) { (void)n; }", "which is private"
    elif construct == "wrong-state-macro":
        c.state_macro = "S6_STATE(Other%d);%s" % (g.seed, mark)
        g.decls.insert(0, ("const", ns, "struct Other%d {};" % g.seed))
        expect = "S6_STATE names"
    elif construct == "private-field-no-state":
        c.has_s6_state = False
        c.force_no_state = True
        c.bases = []
        c.usings = []
        for f in c.fields:
            f.access = "public"
        c.extra_private = []
        c.private_top = []
        for m in c.methods:
            for p in m.params:
                if getattr(p, "alias", None):
                    p.alias = None
        c.fields.append(Field("bad_", IntTy("int32_t", 32, True), access="private"))
        c.bad_field = True
        expect = "add S6_STATE"
    elif construct == "nested-struct-bad-field":
        s = Record(g, g.uid("Holder"), c.ns)
        s.fields = [Field("ok", IntTy("int32_t", 32, True)), Field("bad", IntTy("int32_t", 32, True))]
        s.bad_ptr = True
        g.decls.insert(len(g.decls) - 1, s)
        c.fields.append(Field("holder_", StructTy(s)))
        expect = "raw pointers"
    elif construct == "template-field":
        g.decls.insert(0, ("const", ns, "template <typename T> struct Box%d { T v{}; };" % g.seed))
        pub, expect = "Box%d<int32_t> bad_;" % g.seed, "specialization of class template"
    elif construct == "no-default-ctor":
        c.extra_public = [l for l in c.extra_public if "() = default;" not in l]
        c.extra_public.append("explicit %s(int32_t v) { (void)v; }" % c.name)
        c.bad_head = True
        expect = "default constructor"
    elif construct == "both-bases":
        c.bad_head = True
        c.bad_both = True
        expect = "derives from both"
    elif construct == "final-scope-default":
        c.final = True
        c.extra_public.append("enum class Knob : uint8_t { kA, kB };")
        pub, expect = "void bad(Knob k = Knob::kB) { (void)k; }", "it is final"
    else:
        raise SystemExit("unknown construct " + construct)
    if pub is not None:
        c.extra_public.append(pub + mark)
    return c, expect, inc, mark


MW_ONLY = {"mw-non-const-ref-param", "mw-pointer-param", "mw-returns-reference",
           "mw-member-template", "mw-variadic", "mw-ref-qualified", "stale-non-const",
           "untether-non-void", "stale-void", "stale-ms-zero", "stale-and-untether",
           "default-private", "final-scope-default"}
SW_ONLY = {"stale-on-sw", "untether-on-sw"}
INVALID = ["raw-pointer-field", "reference-field", "function-field", "unique-ptr-field",
           "shared-ptr-field", "string-view-field", "atomic-field", "variant-field",
           "long-double-field", "int128-field", "const-field", "enum-no-fixed-type",
           "chrono-field", "virtual-method", "virtual-dtor", "mw-non-const-ref-param",
           "mw-pointer-param", "mw-returns-reference", "mw-member-template", "mw-variadic",
           "mw-ref-qualified", "stale-non-const", "untether-non-void", "stale-void",
           "stale-ms-zero", "stale-and-untether", "stale-on-sw", "untether-on-sw",
           "default-private", "wrong-state-macro", "private-field-no-state",
           "nested-struct-bad-field", "template-field", "no-default-ctor", "both-bases",
           "final-scope-default"]


def postprocess_invalid(c, lines, mark):
    """Puts the marker on constructs rendered by the class itself; returns the 1-based line."""
    head_idx = next(i for i, l in enumerate(lines) if l.startswith("class %s" % c.name))
    if getattr(c, "bad_both", False):
        lines[head_idx] = lines[head_idx].replace(
            " : ", " : public s6::%s, " % ("SingleWriter" if c.state == "MultiWriter"
                                          else "MultiWriter"), 1)
    if getattr(c, "bad_head", False):
        lines[head_idx] += mark
    if getattr(c, "bad_field", False):
        for i in range(head_idx, len(lines)):
            if lines[i].strip().startswith("int32_t bad_"):
                lines[i] += mark
                break
    for i, l in enumerate(lines):
        if l.strip().startswith("int32_t bad{};"):
            lines[i] = l.replace("int32_t bad{};", "int32_t* bad = nullptr;") + mark
    hits = [i for i, l in enumerate(lines) if l.endswith(mark)]
    assert len(hits) == 1, (c.name, hits)
    return hits[0] + 1


# ---------------------------------------------------------------------------------------------
# Schema-hash variants.

SAME_MUTATIONS = ["rename-param", "field-initializer", "comment", "static-function",
                  "private-method", "method-body", "reorder-methods", "explicit-less",
                  "alias-spelling"]
DIFF_MUTATIONS = ["field-type", "add-field", "remove-field", "swap-fields", "comparator",
                  "nested-field-type", "array-extent"]


def norm(t):
    return (t.bits, t.signed) if isinstance(t, IntTy) else t.cpp()


def widen(t):
    for spell, bits, signed in INT_TYPES:
        if bits != t.bits and signed == t.signed and spell.endswith("_t"):
            return IntTy(spell, bits, signed)
    return StringTy()


def mutate(g, c, mutation):
    """Applies `mutation` to class c in place; returns False if it does not apply."""
    rng = g.rng
    own = [f for f in c.fields if f is not c.trace and f.bits is None]
    # Fields no method mentions: their type can change without touching the methods.
    free = [f for f in own if not any(f.name + " =" in l or f.name + ";" in l or
                                      f.name + "[" in l or f.name + "." in l
                                      for m in c.methods for l in m.body)]
    if mutation == "rename-param":
        ms = [m for m in c.methods if any(p.named for p in m.params)]
        if not ms:
            return False
        m = rng.choice(ms)
        p = next(p for p in m.params if p.named)
        old, new = p.name, p.name + "_renamed"
        p.name = new
        # Every use of the parameter (`*out = ...`, `f(out)`, `out;`), not a member of that name.
        use = re.compile(r"(?<![\w.>])" + re.escape(old) + r"\b")
        m.body = [use.sub(new, l) for l in m.body]
        return True
    if mutation == "field-initializer":
        fs = [f for f in own if isinstance(f.ty, IntTy)]
        if not fs:
            return False
        f = rng.choice(fs)
        f.init = f.ty.lit(rng.randint(0, 100)) + " + 1"
        return True
    if mutation == "comment":
        c.extra_public.insert(0, "// a comment that changes nothing")
        c.extra_public.insert(0, "")
        return True
    if mutation == "static-function":
        c.extra_public.append("static int64_t helper_twice(int64_t v) { return 2 * v; }")
        return True
    if mutation == "private-method":
        c.extra_private.append("void private_helper(int32_t& out) const { out = 1; }")
        return True
    if mutation == "method-body":
        ms = [m for m in c.methods if not m.const and not m.local_only]
        if not ms:
            return False
        m = rng.choice(ms)
        m.body.insert(0, "%s.push_back(0);" % c.trace.name)
        return True
    if mutation == "reorder-methods":
        if len(c.methods) < 2:
            return False
        c.methods.reverse()
        return True
    if mutation == "explicit-less":
        for f in free:
            if isinstance(f.ty, (MapTy, SetTy)) and f.ty.cmp is None and \
                    not f.ty.kind.startswith("unordered"):
                f.ty = copy.copy(f.ty)
                f.ty.cmp = "less"
                return True
        return False
    if mutation == "alias-spelling":
        fs = [f for f in own if isinstance(f.ty, IntTy) and f.ty.spell in (
            "int32_t", "uint8_t", "int64_t", "uint16_t")]
        if not fs:
            return False
        f = rng.choice(fs)
        f.ty = IntTy({"int32_t": "int", "uint8_t": "unsigned char", "int64_t": "long",
                      "uint16_t": "unsigned short"}[f.ty.spell], f.ty.bits, f.ty.signed)
        return True
    if mutation == "field-type":
        fs = [f for f in own if isinstance(f.ty, IntTy)]
        if not fs:
            return False
        f = rng.choice(fs)
        f.ty = widen(f.ty)
        f.init = None
        return True
    if mutation == "add-field":
        c.fields.append(Field("added_", SeqTy("vector", StringTy())))
        return True
    if mutation == "remove-field":
        if not free:
            return False
        c.fields.remove(rng.choice(free))
        return True
    if mutation == "swap-fields":
        for i in range(len(c.fields) - 1):
            a, b = c.fields[i], c.fields[i + 1]
            if norm(a.ty) != norm(b.ty) and a.access == b.access and a.bits is None and \
                    b.bits is None:
                c.fields[i], c.fields[i + 1] = b, a
                return True
        return False
    if mutation == "comparator":
        for f in free:
            if isinstance(f.ty, (MapTy, SetTy)) and not f.ty.kind.startswith("unordered") and \
                    f.ty.cmp in (None, "less"):
                f.ty = copy.copy(f.ty)
                f.ty.cmp = "greater"
                return True
        f = Field("ordered_", SetTy("set", IntTy("int32_t", 32, True), "greater"))
        c.fields.append(f)
        return "prepare"  # base needs the field too; handled by caller
    if mutation == "nested-field-type":
        for f in own:
            if isinstance(f.ty, StructTy):
                return "nested:" + f.ty.decl.name
        return False
    if mutation == "array-extent":
        for f in free:
            if isinstance(f.ty, StdArrayTy):
                f.ty = StdArrayTy(f.ty.t, f.ty.n + 1)
                return True
            if f.ty.c_array:
                f.ty = CArrayTy(f.ty.t, f.ty.n + 1)
                return True
        return False
    raise SystemExit("unknown mutation " + mutation)


# ---------------------------------------------------------------------------------------------


def write(path, lines):
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")


def generate_valid(seed, n, out, without):
    g = Gen(seed, without)
    g.prelude()
    for _ in range(n):
        g.new_class()
    stem = "corpus_%d" % seed
    write(os.path.join(out, stem + ".h"), render_header(g, g.decls, "Valid state classes."))
    records = [d for d in g.decls if isinstance(d, Record) and not d.is_comparator]
    write(os.path.join(out, stem + "_test.cc"), render_driver(g, stem, g.classes, records))
    return {"header": stem + ".h", "driver": stem + "_test.cc", "classes": len(g.classes)}


def generate_invalid(seed, k, out, without, constructs=None):
    cases = []
    rng = random.Random(seed * 7919 + 1)
    pool = [c for c in INVALID if c not in without]
    for i in range(k):
        construct = constructs[i % len(constructs)] if constructs else rng.choice(pool)
        g = Gen(seed * 1000 + i, without)
        g.prelude()
        c, expect, inc, mark = inject_invalid(g, construct)
        lines = render_header(g, g.decls, "Invalid: %s." % construct, inc)
        line = postprocess_invalid(c, lines, mark)
        name = "invalid_%d_%d.h" % (seed, i)
        write(os.path.join(out, name), lines)
        cases.append({"header": name, "construct": construct, "line": line, "expect": expect})
    return cases


def generate_hash(seed, k, out, without):
    cases = []
    for i in range(k):
        gseed = seed * 1000 + 500 + i
        rng = random.Random(gseed)
        same_m = rng.choice(SAME_MUTATIONS)
        diff_m = rng.choice(DIFF_MUTATIONS)
        variants = {}
        applied = {}
        for which, mut in (("base", None), ("same", same_m), ("diff", diff_m)):
            g = Gen(gseed, without)
            g.prelude()
            c = g.new_class()
            res = True
            if mut is not None:
                g.rng = random.Random(gseed + 17)
                res = mutate(g, c, mut)
                if isinstance(res, str) and res.startswith("nested:"):
                    s = next(d for d in g.decls if isinstance(d, Record) and
                             d.name == res[7:])
                    ok = False
                    for f in s.fields:
                        if isinstance(f.ty, IntTy) and f.bits is None:
                            f.ty = widen(f.ty)
                            ok = True
                            break
                    if not ok:
                        s.fields.append(Field("added", IntTy("int32_t", 32, True)))
                    res = True
                if res == "prepare":  # the base gets a set<int32_t> with the default order
                    res = True
                    applied["prepare"] = True
            if not res:
                mut = None
            applied[which] = mut
            variants[which] = (g, c)
        if applied.get("prepare"):
            # Rebuild base and same with the extra std::set field so only the order differs.
            for which in ("base", "same"):
                g, c = variants[which]
                c.fields.append(Field("ordered_", SetTy("set", IntTy("int32_t", 32, True))))
        names = {}
        for which, (g, c) in variants.items():
            name = "hash_%d_%d_%s.h" % (seed, i, which)
            lines = render_header(g, g.decls, "Schema-hash variant %s (%s)." % (
                which, applied[which]))
            write(os.path.join(out, name), lines)
            names[which] = name
        cases.append({"class": variants["base"][1].qname()[2:], "base": names["base"],
                      "same": names["same"] if applied["same"] else None,
                      "same_mutation": applied["same"],
                      "diff": names["diff"] if applied["diff"] else None,
                      "diff_mutation": applied["diff"]})
    return cases


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seed", type=int, required=True)
    ap.add_argument("--classes", type=int, default=25)
    ap.add_argument("--invalid", type=int, default=0, help="invalid headers to write")
    ap.add_argument("--construct", action="append", default=[],
                    help="use these invalid constructs (round robin) instead of random ones")
    ap.add_argument("--hash", type=int, default=0, help="schema-hash variant triples to write")
    ap.add_argument("--without", action="append", default=[], metavar="FEATURE",
                    help="exclude a construct (valid: %s; invalid: the construct names)" %
                    ", ".join(FEATURES))
    ap.add_argument("--out", required=True)
    args = ap.parse_args()
    for w in args.without:
        if w not in FEATURES and w not in INVALID:
            ap.error("unknown feature '%s'" % w)
    os.makedirs(args.out, exist_ok=True)
    manifest = {"seed": args.seed, "without": args.without}
    if args.classes > 0:
        manifest["valid"] = generate_valid(args.seed, args.classes, args.out, args.without)
    if args.invalid > 0:
        manifest["invalid"] = generate_invalid(args.seed, args.invalid, args.out, args.without,
                                               args.construct or None)
    if args.hash > 0:
        manifest["hash"] = generate_hash(args.seed, args.hash, args.out, args.without)
    with open(os.path.join(args.out, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
