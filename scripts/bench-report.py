#!/usr/bin/env python3
"""Runs sigma-bench (or reads its JSON) and writes the Markdown report.

  scripts/bench-report.py --bench build/bin/sigma-bench --output benchmarks/RESULTS.md
  scripts/bench-report.py --json run.json            # report on a saved run

sigma-bench runs with --benchmark_repetitions=5 --benchmark_enable_random_interleaving=true
--benchmark_report_aggregates_only=true
--benchmark_format=json; only the medians over the repetitions are quoted. Every
ratio compares two rows of the same run, so a slow period of the shared machine
hits both sides alike. `make bench` runs this script.
"""
import argparse
import datetime
import json
import os
import platform
import re
import shlex
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench_sections import (fmt, matmul_section, to_unit, w2_against_peer, w5_over_seeds,  # noqa: E402
                            without_empty_sections)

# What each row measures, in the report's words; the order is the table's.
DESCRIPTIONS = {
    "machine/stream_rmw": ("a[i] += s*b[i], 16M floats", "GB/s", 12),
    "machine/stream_rmw_2threads": ("the same on 2 threads, each its half (wall clock)", "GB/s", 12),
    "machine/read_sum": ("sum of 16M floats, one read stream", "GB/s", 4),
    "machine/fma_peak": ("independent AVX2 FMA chains (12 ymm)", "GFLOP/s", None),
    "machine/fma_peak_avx512": ("independent AVX-512 FMA chains (24 zmm)", "GFLOP/s", None),
    "W1/sigma_run": "Sigma: TrainingStep::run(x, y): copy batch, step, StepResult",
    "W1/sigma_step_only": "Sigma: Executable::run() only (batch copied once)",
    "W1/sigma_unfused": "Sigma, fusion passes off: Executable::run() only",
    "W1/sigma_compiled_loop": "Sigma: TrainingStep::runLoop, 1000 steps per native call (fit's loop)",
    "W1/sigma_loop_native": "Sigma: Executable::runLoop alone (feeds written once): the native loop",
    "W1/handwritten_scalar": "peer: hand-written scalar C++ (glibc tanhf), step + stats",
    "W1/handwritten_avx2": "peer: hand-written, the whole step in AVX2 registers (two ymm per quantity), step + stats",
    "W1/handwritten_avx512": "peer: hand-written, the whole step in AVX-512 registers, step + stats",
    "W1/libtorch_eager": "peer: libtorch eager, step + stats read back",
    "W2/sigma_step": "Sigma: full step (L1 + L2 + weight statistics), fused",
    "W2/sigma_step_plain": "Sigma: same network and optimizer, no penalties, no statistics",
    "W2/sigma_unfused": "Sigma: full step, fusion passes off",
    "W2/sigma_step_2threads": "Sigma: full step on 2 threads (parallel loops; wall-clock time)",
    "W2/onednn_handwritten": "peer: hand-written C++ + oneDNN sgemm, fused loops (issue 5's W2 target)",
    "W2/onednn_handwritten_2threads": "peer: the same on 2 threads (OpenMP; wall-clock time)",
    "W2/openblas_handwritten": "peer: hand-written C++ + OpenBLAS sgemm, fused loops",
    "W2/libtorch_eager": "peer: libtorch eager, step + stats read back (../shared/peers/w2_libtorch.cpp)",
    "W2/libtorch_eager_2threads": "peer: the same on 2 ATen threads (wall-clock time)",
    "W3/sigma_fused": "Sigma: default pipeline (fused) + JIT",
    "W3/sigma_unfused": "Sigma, fusion passes off",
    "W3/handwritten_fused": "peer: hand-written C++, one fused loop",
    "W3/handwritten_separate": "peer: hand-written C++, 11 separate loops",
    "W3/libtorch_ops": "peer: libtorch eager, 11 tensor ops",
    "W3/sigma_fused_2threads": "Sigma: fused, on 2 threads (blocks of 4096 in parallel; wall-clock time)",
    "W3/handwritten_fused_2threads": "peer: the hand-written fused loop's blocks on 2 OpenMP threads (wall-clock time)",
    "W4/cold_compile": "W2's full step, network to runnable code, object cache off; tiered (the default): runs on O0 "
                       "while O3 compiles in the background",
    "W4/cold_until_o3": "the same, until the O3 code has replaced the O0 tier",
    "W4/cold_compile_o3": "the same without tiering (--no-tiering): O3 code directly",
    "W4/cached_compile": "the same with the cache warm (the pipeline cache: no graph or loop passes; the object cache: no LLVM IR, optimization or machine code)",
    "W5/sigma_fit": "Sigma: sigma::fit, 10 epochs, 1 thread",
    "W5/sigma_fit_2threads": "Sigma: the same on 2 threads (the same bits)",
    "W5/libtorch_eager": "peer: libtorch eager, the same recipe, 1 thread",
    "W5/libtorch_eager_avx512": "peer: the same under ATEN_CPU_CAPABILITY=avx512 (../shared/peers' tuned setting)",
    "W5/libtorch_eager_2threads": "peer: the same on 2 ATen threads",
}
# libtorch's best configuration (../shared/peers/RESULTS.md, "tuned env"):
# glibc keeps libtorch's big temporaries instead of returning them to the
# kernel every step, and OpenBLAS runs on the calling thread. Set for the
# whole sigma-bench process (glibc reads it at start); Sigma allocates once.
# The tuned env's fourth setting, ATEN_CPU_CAPABILITY=avx512, is not set for
# the whole run: on the Zen 4 host it made libtorch's W5 slower (32.1 and
# 30.4 s by default against 35.6 and 32.5 s, alternating) while W1's step
# gained 4-9% (scripts/check-peers.py measures both). libtorch's W5 runs
# both ways instead (with_avx512_libtorch_w5), and W5's criterion meets the
# faster. A value set in the caller's environment is passed through (and
# libtorch's W5 then runs in that setting only), and the report names it.
TUNED_ENV = {"MALLOC_MMAP_THRESHOLD_": "4294967296", "MALLOC_TRIM_THRESHOLD_": "4294967296",
             "OPENBLAS_NUM_THREADS": "1"}
# Issue 5's compile-time targets, in ms.
W4_TARGETS = {"W4/cold_compile": 250, "W4/cached_compile": 25}
W4_STAGES = [("passes_ms", "frontend + graph/loop passes (or the pipeline cache)"), ("llvm_ir_opt_ms", "LLVM IR + optimizer"),
             ("machine_code_ms", "machine code"), ("cache_ms", "cache lookup + store"), ("link_ms", "JIT link"),
             ("setup_ms", "target + arena")]
# Repetitions in a random order across benchmarks: a slow minute of the shared machine then
# spreads over every row instead of landing on the one running at that time.
BENCH_ARGS = ["--benchmark_repetitions=5", "--benchmark_enable_random_interleaving=true",
              "--benchmark_report_aggregates_only=true", "--benchmark_format=json"]
W3_BYTES_PER_ELEMENT = 20


# What ../shared/peers/run_all.sh unsets for a clean environment and a
# caller may have set: OPENBLAS_CORETYPE=Haswell (as this project's VMs set
# it) keeps OpenBLAS, and so libtorch's GEMMs, on AVX2 kernels; on the Zen 5
# host that made libtorch's W5 21.6 s against 14.4-15.3 s with the kernels
# OpenBLAS picks for the CPU (Cooperlake).
CLEARED_ENV = ["OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE"]
# libtorch's W5 runs a second time with ../shared/peers' tuned ATen setting
# (a process of its own: ATen reads it at start), and W5's criterion meets
# the faster of the two.
W5_LIBTORCH_FILTER = r"--benchmark_filter=^W5/libtorch_eager(/seed:[0-9]+)?/"


def cleared_env():
    """The caller's CLEARED_ENV settings, as NAME=value: what the run removes (kept in the JSON's context, so
    that a report re-rendered with --json says what that run removed)."""
    return [f"{k}={os.environ[k]}" for k in CLEARED_ENV if k in os.environ]


def cleared_note(removed):
    """What the report says of the CLEARED_ENV settings a run removed."""
    return ("; removed from the caller's environment, as ../shared/peers/run_all.sh does: " + " ".join(removed)
            + " (OpenBLAS then picks its kernels for this CPU)") if removed else ""


def bench_env(extra=None):
    env = {k: v for k, v in os.environ.items() if k not in CLEARED_ENV}
    return dict(env, **TUNED_ENV, **(extra or {}))


def run_bench(binary, extra, env_extra=None):
    cmd = [binary] + BENCH_ARGS + extra
    print("bench-report: running " + " ".join(shlex.quote(c) for c in cmd), file=sys.stderr, flush=True)
    done = subprocess.run(cmd, stdout=subprocess.PIPE, check=False, env=bench_env(env_extra))
    if done.returncode != 0:
        sys.exit(f"bench-report: {binary} exited with status {done.returncode}")
    return json.loads(done.stdout), cmd


def with_avx512_libtorch_w5(data, binary, extra):
    """The run's JSON with libtorch's W5 rows run again under ATEN_CPU_CAPABILITY=avx512, named
    W5/libtorch_eager_avx512...; unchanged when the run had no such row or the caller set the variable."""
    if "ATEN_CPU_CAPABILITY" in os.environ or not any(
            b["name"].startswith("W5/libtorch_eager/") for b in data["benchmarks"]):
        return data
    again, _ = run_bench(binary, [a for a in extra if not a.startswith("--benchmark_filter")] + [W5_LIBTORCH_FILTER],
                         {"ATEN_CPU_CAPABILITY": "avx512"})
    for b in again["benchmarks"]:
        for key in ("name", "run_name"):
            if key in b:
                b[key] = b[key].replace("W5/libtorch_eager", "W5/libtorch_eager_avx512", 1)
        data["benchmarks"].append(b)
    return data


def load_average():
    try:
        with open("/proc/loadavg") as f:
            return " ".join(f.read().split()[:3])
    except OSError:
        return "unknown"


def caches(context):
    """'L1d 32 KiB, L2 512 KiB, L3 32 MiB' from Google Benchmark's context."""
    parts = []
    for c in context.get("caches", []):
        if c.get("type") == "Instruction":
            continue
        size = c.get("size", 0)
        text = f"{size >> 20} MiB" if size >= 1 << 20 else f"{size >> 10} KiB"
        parts.append(f"L{c.get('level')}{'d' if c.get('type') == 'Data' else ''} {text}")
    return ", ".join(parts)


def cpuinfo():
    """The first CPU's fields in /proc/cpuinfo ({} where there is none)."""
    info = {}
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if ":" in line:
                    key, value = (s.strip() for s in line.split(":", 1))
                    info.setdefault(key, value)
    except OSError:
        pass
    return info


def peers_machine_note(info=None):
    """How ../shared/peers/RESULTS.md's figures relate to this machine: they come from a 2-core Zen 5
    (AMD family 26) VM."""
    info = cpuinfo() if info is None else info
    if info.get("vendor_id") == "AuthenticAMD" and info.get("cpu family") == "26":
        return ("- The peer figures in ../shared/peers/RESULTS.md come from a 2-core Zen 5 VM like this one, but "
                "not this one: the same programs run faster or slower here (`make check-peers`, "
                "benchmarks/PEERS-CHECK.md). Compare within this file.")
    return ("- The peer figures in ../shared/peers/RESULTS.md come from a different machine (2-core Zen 5 "
            "with AVX-512); they do not transfer to this one. Compare within this file.")


def cpu_description():
    """Model name, family/model and the vector ISA, from /proc/cpuinfo."""
    info = cpuinfo()
    if not info:
        return platform.processor() or "unknown"
    flags = set(info.get("flags", "").split())
    isa = [f for f in ("avx2", "fma", "avx512f") if f in flags]
    return (f"{info.get('model name', 'unknown')} (family {info.get('cpu family', '?')}, "
            f"model {info.get('model', '?')}), {os.cpu_count()} logical CPUs, {', '.join(isa) or 'no AVX2'}")


def benchmark_version():
    """Debian's libbenchmark-dev version (Google Benchmark's JSON does not carry one)."""
    try:
        out = subprocess.run(["dpkg-query", "-W", "-f=${Version}", "libbenchmark-dev"],
                             capture_output=True, text=True, check=False)
        return out.stdout.strip() or "(version unknown)"
    except OSError:
        return "(version unknown)"


def jit_target(context):
    """'x86_64 znver3 +a,+b,...' -> 'x86_64 znver3' plus the vector features."""
    text = context.get("sigma_jit_target", "unknown")
    parts = text.split(" ", 2)
    if len(parts) < 3:
        return text
    features = set(parts[2].split(","))
    vector = [f for f in ("+avx2", "+fma", "+avx512f") if f in features]
    return f"{parts[0]} {parts[1]} ({' '.join(vector)}; {len(features)} features)"


def medians(data):
    """{name: median aggregate entry}, {name: error message}."""
    rows, errors = {}, {}
    for b in data["benchmarks"]:
        # "W5/sigma_fit/iterations:1/repeats:1/real_time" -> "W5/sigma_fit"
        name = re.sub(r"/(iterations|repeats):\d+|/real_time", "", b.get("run_name", b["name"]))
        if b.get("error_occurred"):
            errors[name] = b.get("error_message", "error")
        elif b.get("run_type") == "aggregate" and b.get("aggregate_name") == "median":
            rows[name] = b
        elif b.get("run_type") != "aggregate" and name not in rows:
            rows.setdefault(name, b)  # a run without repetitions: its only value
    return rows, errors


def workload_table(lines, rows, errors, prefix, unit, extra_columns, ratio_peers=None):
    """One row per benchmark of the family; a `× peer` column (CPU time over the peer's) for every peer
    row, or only for `ratio_peers` (one-thread peers: CPU time says nothing of a 2-thread run)."""
    names = [n for n in DESCRIPTIONS if n.startswith(prefix) and (n in rows or n in errors)]
    names += sorted(n for n in list(rows) + list(errors) if n.startswith(prefix) and n not in names)
    peers = [n for n in names if not n.split("/", 1)[1].startswith("sigma") and n in rows]
    if ratio_peers is not None:
        peers = [p for p in ratio_peers if p in rows]
    header = ["benchmark", "what", f"CPU {unit}/step", f"real {unit}/step"] + [c[0] for c in extra_columns]
    header += [f"× {p.split('/', 1)[1]}" for p in peers]
    lines.append("| " + " | ".join(header) + " |")
    lines.append("|" + "---|" * len(header))
    for n in names:
        if n in errors:
            lines.append(f"| `{n}` | {DESCRIPTIONS.get(n, '')} | error: {errors[n]} |" + " |" * (len(header) - 3))
            continue
        e = rows[n]
        cells = [f"`{n}`", DESCRIPTIONS.get(n, ""), fmt(to_unit(e, "cpu_time", unit)), fmt(to_unit(e, "real_time", unit))]
        cells += [column(e) for _, column in extra_columns]
        for p in peers:
            sigma_row = n.split("/", 1)[1].startswith("sigma")
            cells.append(fmt(to_unit(e, "cpu_time", unit) / to_unit(rows[p], "cpu_time", unit)) if sigma_row else "")
        lines.append("| " + " | ".join(cells) + " |")
    lines.append("")


def report(data, command, started_load, ended_load):
    rows, errors = medians(data)
    context = data.get("context", {})
    repetitions = max((b.get("repetitions", 1) for b in data["benchmarks"] if not b["name"].startswith("W5/")),
                      default=1)
    runs = w5_runs(data)
    lines = ["# sigma-bench results", ""]
    lines += [
        f"- Date: {context.get('date', datetime.datetime.now().isoformat(timespec='seconds'))}",
        f"- Command: {command}",
        f"- CPU: {cpu_description()}; {caches(context)}",
        f"- Load average (1, 5, 15 min) {started_load} at the start, {ended_load} at the end "
        f"({os.cpu_count()} cores: more than that means the neighbours were busy)",
        f"- Sigma's JIT target: {jit_target(context)}",
        f"- libtorch: {context.get('sigma_libtorch', 'unknown')}, under ../shared/peers' tuned environment "
        f"({' '.join(k + '=' + v for k, v in TUNED_ENV.items())}, set for the whole run) with OpenBLAS as the "
        "system BLAS (`scripts/install-deps.sh --peers`; with Debian's default netlib BLAS libtorch is ~15x slower); "
        + (f"ATEN_CPU_CAPABILITY={os.environ['ATEN_CPU_CAPABILITY']} from the caller's environment"
           if "ATEN_CPU_CAPABILITY" in os.environ else
           "ATen's default kernels (AVX2), and for W5 also ../shared/peers' ATEN_CPU_CAPABILITY=avx512 in a process "
           "of its own (W5's criterion meets the faster: on the Zen 4 host avx512 made W5 slower, 32.1 and 30.4 s by "
           "default against 35.6 and 32.5 s, while W1's step gained 4-9%)")
        + cleared_note(context.get("sigma_cleared_env", [])),
        f"- Google Benchmark {benchmark_version()} (its JSON says `library_build_type: "
        f"{context.get('library_build_type', '?')}` for Debian's build of the library itself; that concerns only "
        "its own timing loop, not the code measured)",
        "",
        "## How to read this",
        "",
        (f"- Only W5 ran (a filtered run): each figure is {runs_note(runs)}, timed by the wall clock."
         if rows and all(n.startswith("W5/") for n in list(rows) + list(errors)) else
         f"- Every figure but W5's is the **median of {repetitions} repetitions** (each repetition runs a benchmark for at "
         "least 0.5 s of CPU time; the repetitions of all benchmarks run in one random order, so that a busy minute of "
         "the shared machine does not fall on one row only); W5's is " + runs_note(runs) + ". One thread everywhere "
         "but the `_2threads` rows, which are timed by the wall clock (CPU time would count only the calling thread)."),
        "- Times are **CPU time** per step, the primary figure; *real* is the wall clock. This machine has "
        "2 cores shared with other engineers' builds, so real time can be up to ~2x the CPU time when a "
        "build is running, and even CPU time moves with the neighbours' use of caches and memory "
        "bandwidth: expect +-10-20% between runs. Rates (GB/s, GFLOP/s) are per CPU second.",
        "- `× peer` = Sigma's CPU time / that peer's CPU time, **measured in the same run**: 1.00 is parity, "
        "2.00 means Sigma takes twice as long. Prefer these ratios to the absolute numbers.",
        "- W3's GB/s counts the minimal traffic, 20 B per element (read w, g, m; write w, m), as "
        "../shared/peers does; `% of stream` compares it with `machine/stream_rmw` of this run. It can "
        "exceed 100%: on this VM one core draws more bandwidth from W3's 3 read + 2 write streams than "
        "from stream_rmw's 2 + 1, so the hand-written fused loop is the practical bound for W3.",
        peers_machine_note(),
        "",
        "## Machine limits",
        "",
        "| benchmark | what | CPU ms | rate (median) |",
        "|---|---|---|---|",
    ]
    for n in [n for n in DESCRIPTIONS if n.startswith("machine/")]:
        if n in errors:
            lines.append(f"| `{n}` | {DESCRIPTIONS[n][0]} | error: {errors[n]} | |")
        elif n in rows:
            what, counter, _ = DESCRIPTIONS[n]
            lines.append(f"| `{n}` | {what} | {fmt(to_unit(rows[n], 'cpu_time', 'ms'))} | "
                         f"{fmt(rows[n].get(counter))} {counter} |")
    lines.append("")

    lines += ["## W1: seed network step + weight statistics (2-3-1 tanh, XOR batch 4, SGD, L1+L2)", ""]
    workload_table(lines, rows, errors, "W1/", "ns", [])
    lines += ["Each Sigma step is checked against the hand-written peer after 1000 steps (same initial "
              "weights) before it is timed; a failed check shows as an error row.", ""]

    lines += matmul_section(rows, errors, context)

    lines += ["## W2: MLP step 784-512-256-10, ReLU, cross-entropy, batch 128, momentum SGD", ""]
    workload_table(lines, rows, errors, "W2/", "ms", [("GFLOP/s (6·B·P)", lambda e: fmt(e.get("GFLOP/s")))],
                   ratio_peers=["W2/onednn_handwritten", "W2/openblas_handwritten", "W2/libtorch_eager"])
    lines += w2_against_peer(rows)
    full, plain = rows.get("W2/sigma_step"), rows.get("W2/sigma_step_plain")
    if full and plain:
        cost = 100 * (full["cpu_time"] / plain["cpu_time"] - 1)
        lines += [f"What L1 + L2 + the weight statistics cost on W2 (fused): **{cost:+.1f}%** of the step time "
                  "(W2/sigma_step against W2/sigma_step_plain, same run; the fused update computes them in the "
                  "update's one pass over each weight).", ""]
    two = rows.get("W2/sigma_step_2threads")
    if full and two:
        lines += [f"On 2 threads the full step takes **{two['real_time']:.2f} ms** (wall clock) against "
                  f"{full['real_time']:.2f} ms on one (wall clock, same run): {full['real_time'] / two['real_time']:.2f}× "
                  "faster, the same bits (the statistics are summed in lanes per row, so the weight-gradient "
                  "matmuls with their fused updates run in parallel too).", ""]

    stream1 = rows.get("machine/stream_rmw", {}).get("GB/s")
    stream2 = rows.get("machine/stream_rmw_2threads", {}).get("GB/s")

    def of_stream(e):  # a 2-thread row against the 2-thread stream
        stream = stream2 if "_2threads" in e.get("run_name", e["name"]) else stream1
        return f"{100 * e['GB/s'] / stream:.0f}%" if stream and e.get("GB/s") else "—"

    lines += ["## W3: fused update of 16M floats (momentum SGD + L1 + L2 + Σw, Σ|w|, Σw²)", ""]
    workload_table(lines, rows, errors, "W3/", "ms", [
        ("GB/s (20 B/elem)", lambda e: fmt(e.get("GB/s"))),
        ("% of stream", of_stream),
    ], ratio_peers=["W3/handwritten_fused", "W3/handwritten_separate", "W3/libtorch_ops"])
    two, peer_two = rows.get("W3/sigma_fused_2threads"), rows.get("W3/handwritten_fused_2threads")
    if two and peer_two:
        lines += [f"On 2 threads (wall clock): Sigma {to_unit(two, 'real_time', 'ms'):.2f} ms, the hand-written fused "
                  f"loop on 2 threads {to_unit(peer_two, 'real_time', 'ms'):.2f} ms "
                  f"(**{two['real_time'] / peer_two['real_time']:.2f}×**); `% of stream` compares 2-thread rows with "
                  "`machine/stream_rmw_2threads`.", ""]
    fused = rows.get("W3/sigma_fused", {})
    if "abs_sum_err" in fused:
        lines += [
            "Before timing, Sigma fused and unfused are checked bit for bit against each other and the "
            "updated w and m against the hand-written fused loop. The sums are compared only: Sigma adds "
            "16M floats in 16 float lanes per 4096-element block, then the blocks' lanes in float, lane by lane "
            "(passes/SplitReductions.cpp), the peer in 16 lanes per block and then in double. Relative difference after one step (|Δ| / Σ|w|, and / Σw² for Σw²): "
            f"Σw {fused.get('sum_err', 0):.2g}, Σ|w| {fused['abs_sum_err']:.2g}, Σw² {fused['sq_sum_err']:.2g}.",
            ""]
    lines += ["## W4: compile time (W2's step: 784-512-256-10, batch 128, L1 + L2 + statistics)", ""]
    lines += compile_time_table(rows, errors)

    lines += ["## W5: Fashion-MNIST to accuracy (W2's network, Adam lr 1e-3, batch 128, L2 1e-5 + L1 1e-6, "
              "10 epochs)", ""]
    lines += ["| benchmark | what | seconds (wall) | test accuracy | × libtorch, 1 thread | × libtorch, 2 threads |",
              "|---|---|---|---|---|---|"]
    one_thread = [rows[n] for n in ("W5/libtorch_eager", "W5/libtorch_eager_avx512") if n in rows]
    peers = [min(one_thread, key=lambda e: to_unit(e, "real_time", "s")) if one_thread else None,
             rows.get("W5/libtorch_eager_2threads")]
    for name in ("W5/sigma_fit", "W5/sigma_fit_2threads", "W5/libtorch_eager", "W5/libtorch_eager_avx512",
                 "W5/libtorch_eager_2threads"):
        if name in errors:
            lines.append(f"| `{name}` | {DESCRIPTIONS[name]} | error: {errors[name]} | | | |")
            continue
        e = rows.get(name)
        if not e:
            continue
        seconds = to_unit(e, "real_time", "s")
        ratios = ["" if not peer or name.startswith("W5/libtorch") else f"{seconds / to_unit(peer, 'real_time', 's'):.2f}"
                  for peer in peers]
        lines.append(f"| `{name}` | {DESCRIPTIONS[name]} | {seconds:.1f} | {e.get('test_accuracy_%', 0):.2f}% | "
                     f"{ratios[0]} | {ratios[1]} |")
    lines += ["", f"Each row is {runs_note(runs)}, the data set "
              "loaded and Sigma's step compiled before timing (compiling is W4's), the evaluation of the 10,000 test images after the last epoch included "
              "(in both; Sigma's `fit` is told to evaluate once, `evaluateEvery = 10`, as the peer does). "
              "`× libtorch, 1 thread` is against the faster of libtorch's two one-thread rows (ATen's default "
              "kernels and ../shared/peers' ATEN_CPU_CAPABILITY=avx512, each its own process). "
              "Issue 5's target: at most half libtorch's time "
              "at the same accuracy. libtorch's second ATen thread runs its element-wise ops in parallel; its "
              "GEMMs stay on OpenBLAS's threads (one, under the tuned environment: ../shared/peers/RESULTS.md found "
              "that fastest at two threads).", ""]
    lines += w5_over_seeds(rows)
    return "\n".join(without_empty_sections(lines, list(rows) + list(errors)))


def w5_runs(data):
    """How many runs W5's seed-1 rows are the median of (benchmarks/Bench.h: kW5Runs; 1 in older JSON)."""
    return max((b.get("repetitions", 1) for b in data["benchmarks"]
                if b["name"].startswith("W5/") and "/seed:" not in b["name"]), default=1)


def runs_note(runs):
    """What a W5 figure is, for `runs` runs of the seed-1 rows."""
    if runs <= 1:
        return "one run of 10 epochs"
    return (f"the **median of {runs} runs** of 10 epochs (in the random order of all the benchmarks' "
            "repetitions; a `seed:N` row: one run)")


def compile_time_table(rows, errors):
    """W4's rows against their targets (wall clock: a tiered compile optimizes on a second thread), and where
    each one's time went (its counters)."""
    lines = ["| benchmark | what | CPU ms | real ms | target | " + " | ".join(f"{w} ms" for _, w in W4_STAGES) + " |",
             "|" + "---|" * (5 + len(W4_STAGES))]
    for n in [n for n in DESCRIPTIONS if n.startswith("W4/")]:
        if n in errors:
            lines.append(f"| `{n}` | {DESCRIPTIONS[n]} | error: {errors[n]} |" + " |" * (2 + len(W4_STAGES)))
            continue
        if n not in rows:
            continue
        e = rows[n]
        cpu, real, target = to_unit(e, "cpu_time", "ms"), to_unit(e, "real_time", "ms"), W4_TARGETS.get(n)
        verdict = f"< {target} ms: {'met' if real < target else 'missed'}" if target else ""
        stages = [fmt(e.get(key)) for key, _ in W4_STAGES]
        lines.append(f"| `{n}` | {DESCRIPTIONS[n]} | {fmt(cpu)} | {fmt(to_unit(e, 'real_time', 'ms'))} | {verdict} | "
                     + " | ".join(stages) + " |")
    lines += ["", "The targets are checked against the wall clock: a tiered compile returns a step running O0 "
              "code and optimizes on a thread of its own (CPU time counts only the calling thread). The stage "
              "columns are each iteration's `--time-passes` rows of the code the step runs when `compile()` "
              "returns, grouped (`sigma inspect ... --time-passes` prints them one by one; it compiles without "
              "tiering, to show the final code's stages); the cache lives in a temporary directory, warmed "
              "before timing, and every timed compile of `W4/cached_compile` is checked to be a hit.", ""]
    return lines


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--bench", default="build/bin/sigma-bench", help="the sigma-bench binary to run")
    parser.add_argument("--json", help="read this JSON (from sigma-bench) instead of running it")
    parser.add_argument("--output", help="write the Markdown here (default: stdout)")
    parser.add_argument("--save-json", help="also keep sigma-bench's JSON here (to re-render with --json)")
    parser.add_argument("bench_args", nargs="*", help="extra sigma-bench arguments (after --)")
    args = parser.parse_args()

    invocation = " ".join(shlex.quote(a) for a in ["scripts/bench-report.py"] + sys.argv[1:])
    if args.json:
        with open(args.json) as f:
            data = json.load(f)
        command = f"`{invocation}`, a report on a saved sigma-bench JSON run"
        loads = data.get("context", {}).get("load_avg", [])
        started, ended = " ".join(f"{x:.2f}" for x in loads) or "unknown", "unknown"
    else:
        started = load_average()
        data, cmd = run_bench(args.bench, args.bench_args)
        data = with_avx512_libtorch_w5(data, args.bench, args.bench_args)
        data.setdefault("context", {})["sigma_cleared_env"] = cleared_env()
        ended = load_average()
        if args.save_json:
            with open(args.save_json, "w") as f:
                json.dump(data, f, indent=1)
        command = (f"`{invocation}` (what `make bench` runs), which ran "
                   f"`{' '.join(shlex.quote(c) for c in cmd)}`")
    text = report(data, command, started, ended)
    if args.output:
        tmp = args.output + ".tmp"
        with open(tmp, "w") as f:
            f.write(text)
        os.replace(tmp, args.output)
        print(f"bench-report: wrote {args.output}", file=sys.stderr)
    else:
        print(text)


if __name__ == "__main__":
    main()
