"""The report's sections that read only sigma-bench's rows (medians by name), for scripts/bench-report.py:
the matmul table, the W2 and W5 criteria, W5 over seeds, and the rule that leaves out a section a filtered
run has no rows for."""
import re
import statistics


def to_unit(entry, key, unit):
    """A time per step: a benchmark whose iteration runs several steps (W1's compiled loop) says how many
    in its `steps/iter` counter."""
    scale = {"ns": 1.0, "us": 1e3, "ms": 1e6, "s": 1e9}
    return entry[key] * scale[entry["time_unit"]] / scale[unit] / entry.get("steps/iter", 1)


def fmt(x):
    if x is None:
        return "—"
    if x >= 1000:
        return f"{x:,.0f}"
    if x >= 10:
        return f"{x:.1f}"
    if x >= 1:
        return f"{x:.2f}"
    return f"{x:.3g}"


# A section's heading -> the family its rows come from; a filtered run (make bench-w5-seeds) has no rows for
# the others, and its report leaves them out.
SECTION_FAMILIES = {"## Machine limits": "machine/", "## W1:": "W1/", "## Matmul alone": "matmul/", "## W2:": "W2/",
                    "## W3:": "W3/", "## W4:": "W4/", "## W5:": "W5/"}


def without_empty_sections(lines, names):
    out, keep = [], True
    for line in lines:
        if line.startswith("## "):
            family = next((f for heading, f in SECTION_FAMILIES.items() if line.startswith(heading)), None)
            keep = family is None or any(n.startswith(family) for n in names)
        if keep:
            out.append(line)
    return out


def w5_over_seeds(rows):
    """W5 from several seeds (sigma-bench --w5_seeds; `make bench-w5-seeds`): seed 1 is the plain rows. Each
    implementation draws its own initial weights and shuffles from a seed, so one run of each compares two
    samples; the spread over seeds says whether their accuracies differ."""
    runs = {}  # seed: {"sigma": entry, "libtorch": entry, the faster of libtorch's two kernel settings}
    for name, e in rows.items():
        m = re.fullmatch(r"W5/(sigma_fit|libtorch_eager(?:_avx512)?)(?:/seed:(\d+))?", name)
        if m:
            side, seed = "sigma" if m[1] == "sigma_fit" else "libtorch", int(m[2] or 1)
            kept = runs.setdefault(seed, {}).get(side)
            if not kept or to_unit(e, "real_time", "s") < to_unit(kept, "real_time", "s"):
                runs[seed][side] = e
    if not any(seed != 1 for seed in runs):
        return []
    lines = ["### W5 over seeds (one thread)", "",
             "| seed | Sigma s | Sigma accuracy | libtorch s | libtorch accuracy | × libtorch |", "|---|---|---|---|---|---|"]
    accuracy = {"sigma": [], "libtorch": []}
    ratios = []
    for seed in sorted(runs):
        cells = [str(seed)]
        for side in ("sigma", "libtorch"):
            e = runs[seed].get(side)
            a = e.get("test_accuracy_%") if e else None  # a run without the counter says so, not 0%
            if a is not None:
                accuracy[side].append(a)
            cells += [f"{to_unit(e, 'real_time', 's'):.1f}", f"{a:.2f}%" if a is not None else "—"] if e else ["", ""]
        both = runs[seed].get("sigma") and runs[seed].get("libtorch")
        if both:
            ratios.append(to_unit(runs[seed]["sigma"], "real_time", "s") / to_unit(runs[seed]["libtorch"], "real_time", "s"))
        cells.append(f"{ratios[-1]:.2f}" if both else "")
        lines.append("| " + " | ".join(cells) + " |")
    lines.append("")
    seed_one = runs.get(1, {}).get("sigma")
    if seed_one and seed_one.get("repetitions", 1) > 1:
        lines += [f"Seed 1's figures are the medians of {seed_one['repetitions']} runs (the rows above); the other "
                  "seeds' one run each.", ""]
    for side, label in (("sigma", "Sigma"), ("libtorch", "libtorch")):
        a = accuracy[side]
        if a:
            spread = f", {statistics.stdev(a):.2f} standard deviation" if len(a) > 1 else ""
            lines.append(f"- {label}: test accuracy {statistics.mean(a):.2f}% on average over {len(a)} seeds "
                         f"({min(a):.2f}-{max(a):.2f}%{spread})")
    if ratios:
        lines.append(f"- Time: Sigma {statistics.median(ratios):.2f}× libtorch's (median over {len(ratios)} seeds, "
                     f"{min(ratios):.2f}-{max(ratios):.2f}×)")
    return lines + [""]


MATMUL_SHAPES = [("512", "A·B", "512×512×512"), ("w2_fc1_fwd", "A·Bᵀ", "128×512×784: x·W1ᵀ"),
                 ("w2_fc2_fwd", "A·Bᵀ", "128×256×512: h1·W2ᵀ"), ("w2_fc1_dw", "Aᵀ·B", "512×784×128: dYᵀ·x"),
                 ("w2_fc2_dw", "Aᵀ·B", "256×512×128: dYᵀ·h1"), ("w2_fc2_dx", "A·B", "128×512×256: dY·W2")]


def matmul_section(rows, errors, context):
    """One matmul alone per shape: Sigma's GFLOP/s, its share of the measured FMA peak (issue 5: at least
    80%), and the two GEMM libraries on the same operands."""
    peaks = [rows[n]["GFLOP/s"] for n in ("machine/fma_peak", "machine/fma_peak_avx512") if n in rows]
    peak = max(peaks) if peaks else None
    lines = ["## Matmul alone: Sigma's micro-kernel against oneDNN and OpenBLAS", "",
             "| shape (M×N×K) | form | Sigma µs | Sigma GFLOP/s | % of FMA peak | oneDNN GFLOP/s | OpenBLAS GFLOP/s "
             "| × onednn | × openblas |", "|---|---|---|---|---|---|---|---|---|"]
    met = []
    for shape, form, what in MATMUL_SHAPES:
        sigma = rows.get(f"matmul/sigma_{shape}")
        if f"matmul/sigma_{shape}" in errors:
            lines.append(f"| {what} | {form} | error: {errors[f'matmul/sigma_{shape}']} |" + " |" * 6)
            continue
        if not sigma:
            continue
        onednn, openblas = rows.get(f"matmul/onednn_{shape}"), rows.get(f"matmul/openblas_{shape}")
        share = 100 * sigma["GFLOP/s"] / peak if peak else None
        if share is not None:
            met.append(share >= 80)
        cells = [what, form, fmt(to_unit(sigma, "cpu_time", "us")), fmt(sigma["GFLOP/s"]),
                 f"{share:.0f}%" if share is not None else "—",
                 fmt(onednn["GFLOP/s"]) if onednn else "not built", fmt(openblas["GFLOP/s"]) if openblas else "not built",
                 fmt(sigma["cpu_time"] / onednn["cpu_time"]) if onednn else "",
                 fmt(sigma["cpu_time"] / openblas["cpu_time"]) if openblas else ""]
        lines.append("| " + " | ".join(cells) + " |")
    lines += ["", f"One thread. The FMA peak is this run's best `machine/fma_peak*` ({fmt(peak)} GFLOP/s); "
              f"issue 5 asks for at least 80% of it at every shape: **{'met' if met and all(met) else 'missed'}** "
              f"({sum(met)} of {len(met)} shapes). GFLOP/s counts 2·M·N·K; `× lib` is Sigma's time over the "
              f"library's. Libraries: {context.get('sigma_gemm_peers', 'unknown')}. Sigma's product is checked "
              "against a double-precision reference before timing.", ""]
    return lines


def w2_against_peer(rows):
    """Issue 5's W2 criterion: no slower than the hand-written oneDNN peer at 1 and at 2 threads."""
    lines = []
    pairs = [("1 thread", "W2/sigma_step", "W2/onednn_handwritten", "cpu_time"),
             ("2 threads", "W2/sigma_step_2threads", "W2/onednn_handwritten_2threads", "real_time")]
    for threads, mine, peer, key in pairs:
        if mine in rows and peer in rows:
            a, b = to_unit(rows[mine], key, "ms"), to_unit(rows[peer], key, "ms")
            lines.append(f"- {threads}: Sigma {a:.2f} ms, the hand-written oneDNN peer {b:.2f} ms "
                         f"({'CPU' if key == 'cpu_time' else 'wall'} time): **{a / b:.2f}×** "
                         f"({'met' if a <= b else 'missed'}: issue 5 asks for at most 1.00×)")
    torch1, torch2 = rows.get("W2/libtorch_eager"), rows.get("W2/libtorch_eager_2threads")
    if lines and torch1 and "W2/sigma_step" in rows:
        line = (f"- libtorch eager (same weights and batch, checked against the hand-written peer after 10 steps): "
                f"{to_unit(torch1, 'cpu_time', 'ms'):.2f} ms on 1 thread, Sigma "
                f"**{to_unit(rows['W2/sigma_step'], 'cpu_time', 'ms') / to_unit(torch1, 'cpu_time', 'ms'):.2f}×** its time")
        if torch2 and "W2/sigma_step_2threads" in rows:
            line += (f"; {to_unit(torch2, 'real_time', 'ms'):.2f} ms on 2 ATen threads, Sigma's 2-thread step "
                     f"**{to_unit(rows['W2/sigma_step_2threads'], 'real_time', 'ms') / to_unit(torch2, 'real_time', 'ms'):.2f}×**"
                     " (wall clock)")
        lines.append(line)
    if lines:
        lines = ["Against the hand-written oneDNN peer (the same network, recipe and initial weights; Sigma's step "
                 "is checked against it after 10 steps before timing):", ""] + lines + [""]
    return lines
