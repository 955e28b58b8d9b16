#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""Runs the generated s6c corpus (gen_corpus.py) for a range of seeds.

    run_corpus.py --build-dir BUILD [--s6c PATH] --seeds 1..3 [--classes 12]
                  [--invalid K] [--hash K] [--without FEATURE]... [--jobs N] [--work DIR] [--keep]

Per seed: generate corpus_S.h and its driver, run s6c (must succeed), compile the generated
.s6.cc with the driver (one translation unit, `c++ -std=c++20 -Wall -Wextra -Werror ...`) against
runtime/include, run it; with --invalid K also K headers with one unsupported construct each,
which s6c must refuse with an error at the construct's line; with --hash K also K schema-hash
variant triples (a variant that keeps the encoding must keep the hash, one that changes it must
change it). A failing seed prints `FAILED seed=S` with a command that reproduces it and keeps its
directory; passing seeds' directories are removed unless --keep. Standard library only.
"""
import argparse
import concurrent.futures
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", "..", ".."))
sys.path.insert(0, HERE)
import gen_corpus  # noqa: E402

DIAG = re.compile(r"^(.*?):(\d+):(\d+): (error|warning|note): (.*)$")


def parse_seeds(spec):
    seeds = []
    for part in spec.split(","):
        if ".." in part:
            a, b = part.split("..")
            seeds += list(range(int(a), int(b) + 1))
        elif part:
            seeds.append(int(part))
    return seeds


def cxx_from_cache(build_dir):
    try:
        with open(os.path.join(build_dir, "CMakeCache.txt")) as f:
            for line in f:
                if line.startswith("CMAKE_CXX_COMPILER:"):
                    return line.split("=", 1)[1].strip()
    except OSError:
        pass
    return "c++"


def run(cmd, cwd, timeout=600):
    p = subprocess.run(cmd, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       timeout=timeout)
    return p.returncode, p.stdout.decode("utf-8", "replace")


class Result:
    def __init__(self, seed):
        self.seed = seed
        self.classes = 0
        self.accepted = 0
        self.invalid = 0
        self.refused_ok = 0
        self.hash_checks = 0
        self.failures = []  # (stage, detail)
        self.seconds = 0.0

    def fail(self, stage, detail):
        self.failures.append((stage, detail))


def check_invalid(args, d, cases, res):
    headers = [c["header"] for c in cases]
    code, out = run([args.s6c] + headers + ["-o", os.path.join(d, "out_invalid")], d)
    diags = []
    for line in out.splitlines():
        m = DIAG.match(line)
        if m:
            diags.append((os.path.basename(m.group(1)), int(m.group(2)), m.group(4), m.group(5)))
    if code != 1:
        res.fail("invalid", "s6c exited %d on the invalid headers (want 1)" % code)
    for c in cases:
        res.invalid += 1
        errs = [x for x in diags if x[0] == c["header"] and x[2] == "error"]
        at = [x for x in errs if x[1] == c["line"]]
        others = [x for x in errs if x[1] != c["line"]]
        if not errs:
            res.fail("invalid", "%s (%s): accepted; want an error at line %d" % (
                c["header"], c["construct"], c["line"]))
        elif not at or others:
            res.fail("invalid", "%s (%s): want an error at line %d only; got %s" % (
                c["header"], c["construct"], c["line"],
                "; ".join("%d: %s" % (x[1], x[3]) for x in errs)))
        elif not any(c["expect"] in x[3] for x in at):
            res.fail("invalid", "%s (%s): the error at line %d does not say '%s': %s" % (
                c["header"], c["construct"], c["line"], c["expect"], at[0][3]))
        else:
            res.refused_ok += 1
    if res.failures:
        with open(os.path.join(d, "s6c_invalid.log"), "w") as f:
            f.write(out)


def schema_hash(path, cls):
    with open(path) as f:
        text = f.read()
    # s6c spells names without inline namespaces; each variant header has one state class.
    name = cls.split("::")[-1]
    m = re.search(r"struct TypeInfo<::(?:\w+::)*%s> \{.*?kSchemaHash = (0x[0-9a-f]+)ull" %
                  re.escape(name), text, re.S)
    return m.group(1) if m else None


def check_hash(args, d, cases, res):
    headers = []
    for c in cases:
        headers += [c[k] for k in ("base", "same", "diff") if c[k]]
    out_dir = os.path.join(d, "out_hash")
    code, out = run([args.s6c] + headers + ["-o", out_dir], d)
    if code != 0:
        res.fail("hash", "s6c refused a schema-hash variant:\n" + out[-3000:])
        return
    for c in cases:
        def h(which):
            return schema_hash(os.path.join(out_dir, c[which][:-2] + ".s6.h"), c["class"])
        base = h("base")
        if base is None:
            res.fail("hash", "no kSchemaHash for %s in %s" % (c["class"], c["base"]))
            continue
        if c["same"]:
            res.hash_checks += 1
            if h("same") != base:
                res.fail("hash", "%s vs %s (%s): the encoding is the same but the hash changed" %
                         (c["base"], c["same"], c["same_mutation"]))
        if c["diff"]:
            res.hash_checks += 1
            if h("diff") == base:
                res.fail("hash", "%s vs %s (%s): the encoding changed but the hash did not" %
                         (c["base"], c["diff"], c["diff_mutation"]))


def run_seed(args, seed):
    res = Result(seed)
    t0 = time.time()
    d = os.path.join(args.work, "seed_%d" % seed)
    shutil.rmtree(d, ignore_errors=True)
    os.makedirs(d)
    gen = [sys.executable, os.path.join(HERE, "gen_corpus.py"), "--seed", str(seed),
           "--classes", str(args.classes), "--invalid", str(args.invalid), "--hash",
           str(args.hash), "--out", d] + sum((["--without", w] for w in args.without), [])
    code, out = run(gen, d)
    if code != 0:
        res.fail("generate", out)
        return finish(args, res, d, t0)
    with open(os.path.join(d, "manifest.json")) as f:
        manifest = json.load(f)
    v = manifest.get("valid")
    if v:
        res.classes = v["classes"]
        code, out = run([args.s6c, v["header"], "-o", os.path.join(d, "out")], d)
        if code != 0:
            res.fail("s6c", out[-4000:])
        else:
            res.accepted = res.classes
            stem = v["header"][:-2]
            with open(os.path.join(d, "unity.cc"), "w") as f:
                f.write('#include "%s.s6.cc"\n#include "%s"\n' % (stem, v["driver"]))
            cmd = [args.cxx, "-std=c++20", "-O0", "-Wall", "-Wextra", "-Wnon-virtual-dtor"]
            if "clang" not in os.path.basename(args.cxx):
                cmd.append("-Wshadow=local")
            cmd += ["-Werror", "-I" + d, "-I" + os.path.join(d, "out"),
                    "-I" + os.path.join(ROOT, "runtime", "include"), "-I" + HERE,
                    "unity.cc", "-o", "corpus_test"]
            with open(os.path.join(d, "compile.sh"), "w") as f:
                f.write("cd %s && %s\n" % (shlex.quote(d), " ".join(shlex.quote(c)
                                                                    for c in cmd)))
            code, out = run(cmd, d)
            if code != 0:
                errs = [l for l in out.splitlines() if "error" in l]
                res.fail("compile", "\n".join(errs[:15]))
            else:
                code, out = run([os.path.join(d, "corpus_test")], d)
                if code != 0:
                    res.fail("run", out[-4000:])
    if manifest.get("invalid"):
        check_invalid(args, d, manifest["invalid"], res)
    if manifest.get("hash"):
        check_hash(args, d, manifest["hash"], res)
    return finish(args, res, d, t0)


def finish(args, res, d, t0):
    res.seconds = time.time() - t0
    if res.failures:
        repro = [sys.executable, os.path.abspath(__file__), "--s6c", args.s6c, "--cxx", args.cxx,
                 "--seeds", str(res.seed), "--classes", str(args.classes), "--invalid",
                 str(args.invalid), "--hash", str(args.hash), "--work", args.work, "--keep"]
        repro += sum((["--without", w] for w in args.without), [])
        lines = ["FAILED seed=%d (kept %s)" % (res.seed, d)]
        for stage, detail in res.failures:
            lines.append("  [%s] %s" % (stage, detail.strip().replace("\n", "\n    ")))
        lines.append("  reproduce: " + " ".join(shlex.quote(c) for c in repro))
        res.report = "\n".join(lines)
    else:
        res.report = None
        if not args.keep:
            shutil.rmtree(d, ignore_errors=True)
    return res


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--build-dir", help="an S6 build dir: s6c and the C++ compiler come from it")
    ap.add_argument("--s6c", help="the s6c binary (default: BUILD/bin/s6c)")
    ap.add_argument("--cxx", help="C++ compiler (default: the build dir's, else c++)")
    ap.add_argument("--seeds", default="1..3", help="e.g. 1..200 or 4,9,12")
    ap.add_argument("--classes", type=int, default=12, help="state classes per seed (one TU)")
    ap.add_argument("--invalid", type=int, default=0, help="invalid headers per seed")
    ap.add_argument("--hash", type=int, default=0, help="schema-hash variant triples per seed")
    ap.add_argument("--without", action="append", default=[], metavar="FEATURE")
    ap.add_argument("--jobs", type=int, default=1)
    ap.add_argument("--work", default=None, help="scratch dir (default: BUILD/corpus-work)")
    ap.add_argument("--keep", action="store_true", help="keep passing seeds' directories")
    args = ap.parse_args()
    if args.s6c is None:
        if args.build_dir is None:
            ap.error("give --build-dir or --s6c")
        args.s6c = os.path.join(args.build_dir, "bin", "s6c")
    args.s6c = os.path.abspath(args.s6c)
    if not os.access(args.s6c, os.X_OK):
        ap.error("s6c not found at %s" % args.s6c)
    if args.cxx is None:
        args.cxx = cxx_from_cache(args.build_dir) if args.build_dir else "c++"
    if args.work is None:
        args.work = os.path.join(args.build_dir or ".", "corpus-work")
    args.work = os.path.abspath(args.work)
    os.makedirs(args.work, exist_ok=True)
    for w in args.without:
        if w not in gen_corpus.FEATURES and w not in gen_corpus.INVALID:
            ap.error("unknown feature '%s'" % w)
    seeds = parse_seeds(args.seeds)
    t0 = time.time()
    results = []
    with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, args.jobs)) as ex:
        futs = [ex.submit(run_seed, args, s) for s in seeds]
        for fut in concurrent.futures.as_completed(futs):
            r = fut.result()
            results.append(r)
            status = "FAILED" if r.failures else "ok"
            print("seed %d: %s (%d classes, %d invalid refused as expected of %d, %d hash "
                  "checks, %.1fs)" % (r.seed, status, r.classes, r.refused_ok, r.invalid,
                                      r.hash_checks, r.seconds), flush=True)
            if r.report:
                print(r.report, flush=True)
    failed = sorted(r.seed for r in results if r.failures)
    print("SUMMARY: seeds=%d classes generated=%d accepted=%d invalid=%d refused-as-expected=%d "
          "hash-checks=%d failures=%d%s (%.0fs)" % (
              len(results), sum(r.classes for r in results), sum(r.accepted for r in results),
              sum(r.invalid for r in results), sum(r.refused_ok for r in results),
              sum(r.hash_checks for r in results), len(failed),
              (" failing seeds: " + ",".join(map(str, failed))) if failed else "",
              time.time() - t0))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
