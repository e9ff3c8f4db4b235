#!/usr/bin/env python3
"""Checks sigma-bench's peers against ../shared/peers' own programs on this machine.

sigma-bench carries its own peer programs (benchmarks/peers/), written to the
workload definitions of ../shared/peers, so that `make bench` compares on any
machine. This script shows that they are as fast as the programs they follow:
it builds ../shared/peers out of tree (in build/peers; ../shared may be
read-only), runs the programs behind sigma-bench's peer rows, then those rows,
and writes one table: each peer's median from both, measured minutes apart on
the same machine. ../shared/peers/RESULTS.md's figures come from another
machine; they are quoted beside, not compared.

The libtorch programs run twice: under ../shared/peers' tuned environment as
its run_all.sh sets it (ATEN_CPU_CAPABILITY=avx512 included) and under
sigma-bench's (the same without ATEN_CPU_CAPABILITY, ATen's default AVX2
kernels), which is how this table tells which one is libtorch's best here.

  scripts/check-peers.py [--rounds N] [--output benchmarks/PEERS-CHECK.md]
(`make check-peers`; needs `scripts/install-deps.sh --peers`.)
"""
import argparse
import datetime
import importlib.util
import os
import re
import shlex
import statistics
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def load_bench_report():
    """bench-report.py's environment and JSON helpers: one definition of libtorch's tuned environment."""
    spec = importlib.util.spec_from_file_location("bench_report", os.path.join(ROOT, "scripts", "bench-report.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


report = load_bench_report()

# What run_all.sh adds to sigma-bench's environment for its "tuned env" rows.
SHARED_TUNED = dict(report.TUNED_ENV, ATEN_CPU_CAPABILITY="avx512", PEERS_CONFIG="tuned env")
BENCH_TUNED = dict(report.TUNED_ENV, PEERS_CONFIG="tuned env")
CLEAN = {}
PASSIVE = {"OMP_WAIT_POLICY": "passive", "PEERS_CONFIG": "OMP_WAIT_POLICY=passive"}
# run_all.sh unsets these for a clean environment; so does this script.
UNSET = ["OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE", "OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "OMP_WAIT_POLICY",
         "ATEN_CPU_CAPABILITY", "PEERS_CONFIG", "MALLOC_MMAP_THRESHOLD_", "MALLOC_TRIM_THRESHOLD_"]

# The programs to run: (program, arguments, environment name). The environment names key the rows below.
RUNS = [("machine_fma", ["5"], "clean"), ("machine_stream", ["5"], "clean"), ("machine_sgemm", ["5"], "clean"),
        ("w1_handwritten", ["1000000", "5"], "clean")]
RUNS += [("w2_handwritten_openblas", ["1", "20", "5"], "passive")]  # sigma-bench has no 2-thread row (W2Bench.cpp)
for t in ("1", "2"):
    RUNS += [("w2_handwritten_dnnl", [t, "20", "5"], "clean"), ("w3_handwritten", [t, "3", "5"], "clean")]
for env in ("shared tuned", "bench tuned"):
    RUNS += [("w1_libtorch", ["1", "5000", "5"], env), ("w3_libtorch", ["1", "3", "5"], env)]
    RUNS += [("w2_libtorch", [t, "20", "5"], env) for t in ("1", "2")]
ENVIRONMENTS = {"clean": CLEAN, "passive": PASSIVE, "shared tuned": SHARED_TUNED, "bench tuned": BENCH_TUNED}

# (../shared/peers row: workload, variant without its [config], threads, metric; the environments it was
# run under; the sigma-bench row; what to read from it: a time in a unit, or a rate counter).
PAIRS = [
    (("machine", "peak FMA AVX-512 (16 zmm chains)", 1, "GFLOP/s"), ["clean"], "machine/fma_peak_avx512", "GFLOP/s"),
    (("machine", "in-place update a += s*b (float)", 1, "GB/s"), ["clean"], "machine/stream_rmw", "GB/s"),
    (("machine", "in-place update a += s*b (float)", 2, "GB/s"), ["clean"], "machine/stream_rmw_2threads", "GB/s"),
    (("machine", "sgemm oneDNN 2.6 512x512x512", 1, "GFLOP/s"), ["clean"], "matmul/onednn_512", "GFLOP/s"),
    (("machine", "sgemm oneDNN 2.6 128x784x512", 1, "GFLOP/s"), ["clean"], "matmul/onednn_w2_fc1_fwd", "GFLOP/s"),
    (("W1", "hand-written C++ scalar tanhf: step + stats", 1, "ns/step"), ["clean"], "W1/handwritten_scalar", "ns"),
    (("W1", "hand-written C++ AVX-512 whole step in zmm: step + stats", 1, "ns/step"), ["clean"],
     "W1/handwritten_avx512", "ns"),
    (("W1", "libtorch eager: step + stats", 1, "ns/step"), ["shared tuned", "bench tuned"], "W1/libtorch_eager", "ns"),
    (("W2", "hand-written C++ + oneDNN sgemm: step + stats (fused)", 1, "us/step"), ["clean"],
     "W2/onednn_handwritten", "us"),
    (("W2", "hand-written C++ + oneDNN sgemm: step + stats (fused)", 2, "us/step"), ["clean"],
     "W2/onednn_handwritten_2threads", "us"),
    (("W2", "hand-written C++ + OpenBLAS sgemm: step + stats (fused)", 1, "us/step"), ["passive"],
     "W2/openblas_handwritten", "us"),
    (("W2", "libtorch eager: step + stats", 1, "us/step"), ["shared tuned", "bench tuned"], "W2/libtorch_eager", "us"),
    (("W2", "libtorch eager: step + stats", 2, "us/step"), ["shared tuned", "bench tuned"],
     "W2/libtorch_eager_2threads", "us"),
    (("W3", "hand-written C++, one fused loop", 1, "ms/step"), ["clean"], "W3/handwritten_fused", "ms"),
    (("W3", "hand-written C++, one fused loop", 2, "ms/step"), ["clean"], "W3/handwritten_fused_2threads", "ms"),
    (("W3", "hand-written C++, 11 separate loops", 1, "ms/step"), ["clean"], "W3/handwritten_separate", "ms"),
    (("W3", "libtorch eager, 11 separate torch ops", 1, "ms/step"), ["shared tuned", "bench tuned"],
     "W3/libtorch_ops", "ms"),
]
# "| W2 | libtorch eager: step + stats [tuned env] | 1 | us/step | 3835 | 3470 - 5761 |" (common.h's row()).
ROW = re.compile(r"^\| (\S+) \| (.+?)(?: \[([^\]]*)\])? \| (\d+) \| (\S+(?: \S+)*?) \| ([-\d.,e+]+) \|")


def build_shared(peers_dir, build_dir):
    if not os.path.isfile(os.path.join(build_dir, "CMakeCache.txt")):
        subprocess.run(["cmake", "-S", peers_dir, "-B", build_dir, "-DCMAKE_BUILD_TYPE=Release"], check=True,
                       stdout=subprocess.DEVNULL)
    subprocess.run(["cmake", "--build", build_dir, "-j2"], check=True, stdout=subprocess.DEVNULL)


def run_shared(build_dir):
    """{(workload, variant, threads, metric, environment name): median} from one run of every program."""
    values = {}
    base = {k: v for k, v in os.environ.items() if k not in UNSET}
    for program, args, env_name in RUNS:
        cmd = [os.path.join(build_dir, program)] + args
        print(f"check-peers: {env_name}: {' '.join(shlex.quote(c) for c in cmd)}", file=sys.stderr, flush=True)
        done = subprocess.run(cmd, env=dict(base, **ENVIRONMENTS[env_name]), stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True)
        if done.returncode != 0:
            sys.exit(f"check-peers: {program} exited with status {done.returncode}:\n{done.stderr}")
        values.update(parse_rows(done.stdout, lambda config: env_name))
    return values


def parse_rows(text, environment):
    """The program's table rows, {(workload, variant, threads, metric, environment(config)): median}; config is
    the row's [bracketed] suffix, or None."""
    values = {}
    for line in text.splitlines():
        m = ROW.match(line)
        if m:
            values[(m[1], m[2], int(m[4]), m[5], environment(m[3]))] = float(m[6].replace(",", ""))
    return values


def run_sigma_bench(bench):
    names = sorted({p[2] for p in PAIRS})
    pattern = "^(" + "|".join(re.escape(n) for n in names) + ")(/real_time)?$"
    data, _ = report.run_bench(bench, [f"--benchmark_filter={pattern}"])
    rows, errors = report.medians(data)
    if errors:
        sys.exit(f"check-peers: sigma-bench rows failed: {errors}")
    values = {}
    for _, _, name, what in PAIRS:
        e = rows.get(name)
        if e is not None:  # wall clock on both sides: the shared programs time the wall clock
            values[name] = e.get(what) if what in ("GB/s", "GFLOP/s") else report.to_unit(e, "real_time", what)
    return values


def shared_reference(peers_dir):
    """../shared/peers/RESULTS.md's medians (another machine), keyed as run_shared's rows."""
    try:
        with open(os.path.join(peers_dir, "RESULTS.md")) as f:
            text = f.read()
    except OSError:
        return {}
    names = {"tuned env": "shared tuned", "OMP_WAIT_POLICY=passive": "passive", None: "clean"}
    return parse_rows(text, lambda config: names.get(config, config))


def table(shared_rounds, bench_rounds, reference):
    lines = ["| workload | peer | threads | unit | ../shared/peers program, here | sigma-bench's peer, here | "
             "sigma-bench / program | ../shared/peers/RESULTS.md (its machine) |", "|" + "---|" * 8]
    for (workload, variant, threads, metric), envs, name, _ in PAIRS:
        ours = [r[name] for r in bench_rounds if name in r]
        for env in envs:
            key = (workload, variant, threads, metric, env)
            theirs = [r[key] for r in shared_rounds if key in r]
            if not theirs or not ours:
                continue
            a, b = statistics.median(theirs), statistics.median(ours)
            label = variant + ("" if env in ("clean", "passive") else
                               " [tuned env]" if env == "shared tuned" else " [tuned env, ATen's default kernels]")
            ref = reference.get(key)
            lines.append(f"| {workload} | {label} | {threads} | {metric} | {report.fmt(a)} | "
                         f"{report.fmt(b) if env != 'shared tuned' or len(envs) == 1 else ''} | "
                         f"{report.fmt(b / a) if env != 'shared tuned' or len(envs) == 1 else ''} | "
                         f"{report.fmt(ref) if ref is not None else ''} |")
    return lines


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--peers-dir", default=os.path.join(ROOT, "..", "shared", "peers"))
    parser.add_argument("--build-dir", default=os.path.join(ROOT, "build", "peers"))
    parser.add_argument("--bench", default=os.path.join(ROOT, "build", "bin", "sigma-bench"))
    parser.add_argument("--rounds", type=int, default=1, help="alternate the two sides this many times (medians)")
    parser.add_argument("--output", help="write the Markdown here (default: stdout)")
    args = parser.parse_args()
    if not os.path.isdir(args.peers_dir):
        sys.exit(f"check-peers: no ../shared/peers at {args.peers_dir} (--peers-dir)")
    build_shared(args.peers_dir, args.build_dir)
    started = report.load_average()
    shared_rounds, bench_rounds = [], []
    for r in range(args.rounds):
        print(f"check-peers: round {r + 1} of {args.rounds}", file=sys.stderr, flush=True)
        shared_rounds.append(run_shared(args.build_dir))
        bench_rounds.append(run_sigma_bench(args.bench))
    invocation = " ".join(shlex.quote(a) for a in ["scripts/check-peers.py"] + sys.argv[1:])
    lines = ["# sigma-bench's peers against ../shared/peers' programs", "",
             f"- Date: {datetime.datetime.now().isoformat(timespec='seconds')}",
             f"- Command: `{invocation}`, {args.rounds} round(s), each the programs then the sigma-bench rows",
             f"- CPU: {report.cpu_description()}",
             f"- Load average (1, 5, 15 min) {started} at the start, {report.load_average()} at the end", "",
             "Medians; both sides by the wall clock. A ratio near 1.00 says sigma-bench's peer is the program it "
             "follows; ratios are time over time (below 1: sigma-bench's peer is faster) and rate over rate "
             "for GB/s and GFLOP/s (above 1: faster). The libtorch programs ran under ../shared/peers' tuned "
             "environment (with ATEN_CPU_CAPABILITY=avx512) and under sigma-bench's (without it); sigma-bench's "
             "libtorch rows use the second and are set against it.", ""]
    lines += table(shared_rounds, bench_rounds, shared_reference(args.peers_dir))
    text = "\n".join(lines) + "\n"
    if args.output:
        with open(args.output + ".tmp", "w") as f:
            f.write(text)
        os.replace(args.output + ".tmp", args.output)
    else:
        sys.stdout.write(text)


if __name__ == "__main__":
    main()
