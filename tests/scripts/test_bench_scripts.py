"""Tests of the benchmark scripts' parsing and tables (scripts/check-peers.py, scripts/bench-report.py):
the parts that run no benchmark. Run by ctest (scripts.bench); by hand: python3 -m unittest discover tests/scripts."""
import importlib.util
import os
import unittest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def load(name, file):
    spec = importlib.util.spec_from_file_location(name, os.path.join(ROOT, "scripts", file))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


check_peers = load("check_peers", "check-peers.py")
bench_report = check_peers.report

# Lines as ../shared/peers' programs print them (common.h's row()), with the configurations they carry.
PROGRAM_OUTPUT = """<!-- w2_libtorch check after 10 steps: loss=2.441592 sum=16.71912 -->
| W2 | libtorch eager: step (no stats) [tuned env] | 1 | us/step | 7266 | 6901 - 7349 |
| W2 | libtorch eager: step + stats [tuned env] | 2 | us/step | 6920 | 6492 - 7138 |
| W2 | libtorch eager: step + stats [tuned env] | 1 | GFLOP/s (6*B*P) | 59.4 | 57.6 - 63.3 |
| W2 | hand-written C++ + OpenBLAS sgemm: step + stats (fused) [OMP_WAIT_POLICY=passive] | 1 | us/step | 4067 | 1 - 2 |
| W3 | hand-written C++, one fused loop | 1 | eff. GB/s (20 B/elem) | 34.6 | 23.3 - 35.8 |
| machine | sgemm OpenBLAS 0.3.21 (core Haswell) 512x512x512 [OPENBLAS_CORETYPE=Haswell] | 2 | GFLOP/s | 176.4 | 1 - 2 | 5 |
not a row | W2 | x | 1 | ms | 3 |
"""


class ParseRowsTest(unittest.TestCase):
    def test_rows_keyed_by_workload_variant_threads_metric_and_configuration(self):
        rows = check_peers.parse_rows(PROGRAM_OUTPUT, lambda config: config)
        self.assertEqual(rows[("W2", "libtorch eager: step (no stats)", 1, "us/step", "tuned env")], 7266)
        self.assertEqual(rows[("W2", "libtorch eager: step + stats", 2, "us/step", "tuned env")], 6920)
        self.assertEqual(rows[("W2", "libtorch eager: step + stats", 1, "GFLOP/s (6*B*P)", "tuned env")], 59.4)
        self.assertEqual(rows[("W2", "hand-written C++ + OpenBLAS sgemm: step + stats (fused)", 1, "us/step",
                               "OMP_WAIT_POLICY=passive")], 4067)
        # A row without a [configuration] (a comma inside the variant), a metric with spaces.
        self.assertEqual(rows[("W3", "hand-written C++, one fused loop", 1, "eff. GB/s (20 B/elem)", None)], 34.6)
        # RESULTS.md's rows have a rounds column more.
        self.assertEqual(rows[("machine", "sgemm OpenBLAS 0.3.21 (core Haswell) 512x512x512", 2, "GFLOP/s",
                               "OPENBLAS_CORETYPE=Haswell")], 176.4)
        self.assertEqual(len(rows), 6)  # the comment and the line that does not start a row are not rows

    def test_every_pair_names_a_program_row_and_an_environment_that_runs(self):
        environments = {env for _, _, env in check_peers.RUNS}
        for (workload, _, threads, _), envs, name, what in check_peers.PAIRS:
            self.assertTrue(set(envs) <= environments, name)
            self.assertIn(what, ("ns", "us", "ms", "GB/s", "GFLOP/s"), name)
            self.assertTrue(name.startswith(workload + "/") or workload == "machine", name)
            self.assertEqual(threads == 2, "_2threads" in name, name)


class TableTest(unittest.TestCase):
    def test_ratios_set_each_peer_against_the_program_run_as_sigma_bench_runs_it(self):
        w2 = ("W2", "libtorch eager: step + stats", 1, "us/step")
        onednn = ("W2", "hand-written C++ + oneDNN sgemm: step + stats (fused)", 1, "us/step")
        shared = [{w2 + ("shared tuned",): 7000.0, w2 + ("bench tuned",): 6000.0, onednn + ("clean",): 3000.0},
                  {w2 + ("shared tuned",): 9000.0, w2 + ("bench tuned",): 6400.0, onednn + ("clean",): 3400.0},
                  {w2 + ("shared tuned",): 8000.0, w2 + ("bench tuned",): 5000.0, onednn + ("clean",): 3200.0}]
        bench = [{"W2/libtorch_eager": 6600.0, "W2/onednn_handwritten": 3300.0}]
        lines = check_peers.table(shared, bench, {onednn + ("clean",): 1917.0})
        [shared_row] = [l for l in lines if "libtorch" in l and "[tuned env]" in l]
        [bench_row] = [l for l in lines if "ATen's default kernels" in l]
        [onednn_row] = [l for l in lines if "oneDNN" in l]
        self.assertIn("| 8,000 |  |  |", shared_row)  # the median of three rounds; no sigma-bench row beside it
        self.assertIn("| 6,000 | 6,600 | 1.10 |", bench_row)
        self.assertIn("| 3,200 | 3,300 | 1.03 | 1,917 |", onednn_row)
        self.assertEqual(len(lines), 2 + 3)  # header, rule and the three rows with figures


class BenchReportTest(unittest.TestCase):
    def test_medians_name_a_row_without_its_run_options(self):
        data = {"benchmarks": [
            {"name": "W5/sigma_fit/iterations:1/repeats:1/real_time", "run_type": "iteration", "real_time": 16.0},
            {"name": "W2/sigma_step_median", "run_name": "W2/sigma_step", "run_type": "aggregate",
             "aggregate_name": "median", "cpu_time": 3.1},
            {"name": "W2/sigma_step_mean", "run_name": "W2/sigma_step", "run_type": "aggregate",
             "aggregate_name": "mean", "cpu_time": 9.9},
            {"name": "W2/libtorch_eager", "run_name": "W2/libtorch_eager", "error_occurred": True,
             "error_message": "W2 libtorch check failed"}]}
        rows, errors = bench_report.medians(data)
        self.assertEqual(rows["W5/sigma_fit"]["real_time"], 16.0)
        self.assertEqual(rows["W2/sigma_step"]["cpu_time"], 3.1)
        self.assertEqual(errors, {"W2/libtorch_eager": "W2 libtorch check failed"})

    def test_times_per_step_convert_units_and_count_steps_per_iteration(self):
        self.assertAlmostEqual(bench_report.to_unit({"cpu_time": 2.5, "time_unit": "ms"}, "cpu_time", "us"), 2500)
        self.assertAlmostEqual(bench_report.to_unit({"real_time": 64500, "time_unit": "ns", "steps/iter": 1000},
                                                    "real_time", "ns"), 64.5)

    def test_w5_over_seeds_counts_the_plain_rows_as_seed_one(self):
        def run(seconds, accuracy):
            return {"real_time": seconds, "time_unit": "s", "test_accuracy_%": accuracy}
        rows = {"W5/sigma_fit": run(16.0, 88.17), "W5/libtorch_eager": run(32.0, 88.82),
                "W5/sigma_fit/seed:2": run(15.0, 88.61), "W5/libtorch_eager/seed:2": run(30.0, 88.40),
                "W5/sigma_fit/seed:3": run(17.0, 88.30), "W5/sigma_fit_2threads": run(8.0, 88.17)}
        lines = bench_report.w5_over_seeds(rows)
        self.assertIn("| 1 | 16.0 | 88.17% | 32.0 | 88.82% | 0.50 |", lines)
        self.assertIn("| 2 | 15.0 | 88.61% | 30.0 | 88.40% | 0.50 |", lines)
        self.assertIn("| 3 | 17.0 | 88.30% |  |  |  |", lines)  # no libtorch run for that seed: no ratio
        [sigma] = [l for l in lines if l.startswith("- Sigma:")]
        self.assertIn("88.36% on average over 3 seeds (88.17-88.61%", sigma)
        [time] = [l for l in lines if l.startswith("- Time:")]
        self.assertIn("0.50× libtorch's (median over 2 seeds", time)
        self.assertFalse(any(l.startswith("Seed 1's figures") for l in lines))  # one run each
        rows["W5/sigma_fit"]["repetitions"] = 3
        self.assertIn("Seed 1's figures are the medians of 3 runs (the rows above); the other seeds' one run each.",
                      bench_report.w5_over_seeds(rows))

    def test_w5_over_seeds_says_nothing_without_other_seeds(self):
        rows = {"W5/sigma_fit": {"real_time": 16.0, "time_unit": "s", "test_accuracy_%": 88.17}}
        self.assertEqual(bench_report.w5_over_seeds(rows), [])

    def test_a_filtered_run_reports_only_the_families_it_ran(self):
        lines = ["# sigma-bench results", "", "## How to read this", "- medians", "## Machine limits", "| a |",
                 "## W2: MLP step", "| `W2/sigma_step` |", "## W5: Fashion-MNIST", "| `W5/sigma_fit` |", "### W5 over seeds"]
        self.assertEqual(bench_report.without_empty_sections(lines, ["W5/sigma_fit", "W5/sigma_fit/seed:2"]),
                         ["# sigma-bench results", "", "## How to read this", "- medians", "## W5: Fashion-MNIST",
                          "| `W5/sigma_fit` |", "### W5 over seeds"])
        self.assertEqual(bench_report.without_empty_sections(lines, ["W2/onednn_handwritten", "machine/fma_peak"]),
                         lines[:8])

    def test_a_w5_only_run_says_its_figures_are_single_runs_and_has_only_w5_sections(self):
        def run(name, seconds, accuracy):
            return {"name": f"{name}/iterations:1/repeats:1/real_time", "run_type": "iteration", "repetitions": 1,
                    "real_time": seconds, "cpu_time": seconds, "time_unit": "s", "test_accuracy_%": accuracy}
        data = {"context": {}, "benchmarks": [run("W5/sigma_fit", 16.0, 88.17), run("W5/libtorch_eager", 32.0, 88.82),
                                              run("W5/sigma_fit/seed:2", 15.0, 88.6),
                                              run("W5/libtorch_eager/seed:2", 31.0, 88.4)]}
        text = bench_report.report(data, "`make bench-w5-seeds`", "0 0 0", "0 0 0")
        self.assertIn("Only W5 ran", text)
        self.assertNotIn("median of 1 repetitions", text)
        self.assertEqual([l for l in text.splitlines() if l.startswith("## ")][1:],
                         ["## W5: Fashion-MNIST to accuracy (W2's network, Adam lr 1e-3, batch 128, L2 1e-5 + L1 1e-6, "
                          "10 epochs)"])
        self.assertIn("| 2 | 15.0 | 88.60% | 31.0 | 88.40% | 0.48 |", text)

    def test_w5_rows_are_the_median_of_their_runs_and_say_so(self):
        def aggregate(name, stat, seconds, reps):
            return {"name": f"{name}/iterations:1/repeats:{reps}/real_time_{stat}",
                    "run_name": f"{name}/iterations:1/repeats:{reps}/real_time", "run_type": "aggregate",
                    "aggregate_name": stat, "repetitions": reps, "real_time": seconds, "cpu_time": seconds,
                    "time_unit": "s", "test_accuracy_%": 88.2}
        data = {"context": {}, "benchmarks": [
            aggregate("W5/sigma_fit", "mean", 7.9, 3), aggregate("W5/sigma_fit", "median", 7.0, 3),
            aggregate("W5/libtorch_eager", "median", 14.5, 3), aggregate("W5/libtorch_eager", "mean", 15.0, 3),
            {"name": "W2/sigma_step_median", "run_name": "W2/sigma_step", "run_type": "aggregate",
             "aggregate_name": "median", "repetitions": 5, "real_time": 1.4, "cpu_time": 1.4, "time_unit": "ms"}]}
        text = bench_report.report(data, "`make bench`", "0 0 0", "0 0 0")
        self.assertIn("median of 5 repetitions", text)
        self.assertIn("W5's is the **median of 3 runs** of 10 epochs", text)
        self.assertIn("Each row is the **median of 3 runs** of 10 epochs", text)
        self.assertIn("| `W5/sigma_fit` | Sigma: sigma::fit, 10 epochs, 1 thread | 7.0 | 88.20% | 0.48 |", text)

    def test_a_run_without_rows_is_not_called_a_w5_run(self):
        data = {"context": {}, "benchmarks": [{"name": "W2/sigma_step", "error_occurred": True,
                                               "error_message": "check failed"}]}
        text = bench_report.report(data, "`make bench`", "0 0 0", "0 0 0")
        self.assertNotIn("Only W5 ran", text)
        self.assertIn("error: check failed", text)

    def test_w5_over_seeds_leaves_a_missing_accuracy_out_of_the_mean(self):
        rows = {"W5/sigma_fit": {"real_time": 16.0, "time_unit": "s", "test_accuracy_%": 88.0},
                "W5/sigma_fit/seed:2": {"real_time": 15.0, "time_unit": "s"}}
        lines = bench_report.w5_over_seeds(rows)
        self.assertIn("| 2 | 15.0 | — |  |  |  |", lines)
        [sigma] = [l for l in lines if l.startswith("- Sigma:")]
        self.assertIn("88.00% on average over 1 seeds", sigma)

    def test_the_peers_machine_note_follows_the_cpu(self):
        zen5 = bench_report.peers_machine_note({"vendor_id": "AuthenticAMD", "cpu family": "26"})
        self.assertIn("like this one, but not this one", zen5)
        zen4 = bench_report.peers_machine_note({"vendor_id": "AuthenticAMD", "cpu family": "25"})
        self.assertIn("do not transfer to this one", zen4)
        self.assertIn("do not transfer", bench_report.peers_machine_note({}))

    def test_w5_over_seeds_sets_sigma_against_libtorchs_faster_setting(self):
        rows = {"W5/sigma_fit": {"real_time": 7.0, "time_unit": "s", "test_accuracy_%": 88.0},
                "W5/libtorch_eager": {"real_time": 15.0, "time_unit": "s", "test_accuracy_%": 88.5},
                "W5/libtorch_eager_avx512": {"real_time": 14.0, "time_unit": "s", "test_accuracy_%": 88.3},
                "W5/sigma_fit/seed:2": {"real_time": 7.0, "time_unit": "s", "test_accuracy_%": 88.1},
                "W5/libtorch_eager/seed:2": {"real_time": 13.0, "time_unit": "s", "test_accuracy_%": 88.2},
                "W5/libtorch_eager_avx512/seed:2": {"real_time": 14.0, "time_unit": "s", "test_accuracy_%": 88.4}}
        lines = bench_report.w5_over_seeds(rows)
        self.assertIn("| 1 | 7.0 | 88.00% | 14.0 | 88.30% | 0.50 |", lines)
        self.assertIn("| 2 | 7.0 | 88.10% | 13.0 | 88.20% | 0.54 |", lines)

    def test_the_bench_environment_drops_openblas_kernel_overrides(self):
        saved = dict(os.environ)
        try:
            os.environ.update(OPENBLAS_CORETYPE="Haswell", OPENBLAS_L2_SIZE="512", SOMETHING="kept")
            env = bench_report.bench_env({"ATEN_CPU_CAPABILITY": "avx512"})
            self.assertNotIn("OPENBLAS_CORETYPE", env)
            self.assertNotIn("OPENBLAS_L2_SIZE", env)
            self.assertEqual(env["SOMETHING"], "kept")
            self.assertEqual(env["OPENBLAS_NUM_THREADS"], "1")
            self.assertEqual(env["ATEN_CPU_CAPABILITY"], "avx512")
            self.assertEqual(bench_report.cleared_env(), ["OPENBLAS_CORETYPE=Haswell", "OPENBLAS_L2_SIZE=512"])
            self.assertIn("OPENBLAS_CORETYPE=Haswell", bench_report.cleared_note(bench_report.cleared_env()))
            del os.environ["OPENBLAS_CORETYPE"], os.environ["OPENBLAS_L2_SIZE"]
            self.assertEqual(bench_report.cleared_env(), [])
            self.assertEqual(bench_report.cleared_note([]), "")
            # A report names what its run removed, not what the environment rendering it has.
            text = bench_report.report({"context": {"sigma_cleared_env": ["OPENBLAS_CORETYPE=Haswell"]},
                                        "benchmarks": []}, "`make bench`", "0 0 0", "0 0 0")
            self.assertIn("removed from the caller's environment, as ../shared/peers/run_all.sh does: "
                          "OPENBLAS_CORETYPE=Haswell", text)
        finally:
            os.environ.clear()
            os.environ.update(saved)

    def test_libtorchs_w5_runs_again_under_avx512_unless_the_caller_chose(self):
        calls = []

        def fake_run(binary, extra, env_extra=None):
            calls.append((extra, env_extra))
            return {"benchmarks": [{"name": "W5/libtorch_eager/iterations:1/repeats:1/real_time",
                                    "run_name": "W5/libtorch_eager/iterations:1/repeats:1/real_time"}]}, []

        saved_run, saved_env = bench_report.run_bench, dict(os.environ)
        try:
            bench_report.run_bench = fake_run
            os.environ.pop("ATEN_CPU_CAPABILITY", None)
            data = {"benchmarks": [{"name": "W5/libtorch_eager/iterations:1/repeats:1/real_time"}]}
            out = bench_report.with_avx512_libtorch_w5(data, "bench", ["--w5_seeds=2", "--benchmark_filter=^W5/"])
            self.assertEqual(calls[0][1], {"ATEN_CPU_CAPABILITY": "avx512"})
            self.assertEqual(calls[0][0], ["--w5_seeds=2", bench_report.W5_LIBTORCH_FILTER])
            self.assertEqual(out["benchmarks"][-1]["name"], "W5/libtorch_eager_avx512/iterations:1/repeats:1/real_time")
            os.environ["ATEN_CPU_CAPABILITY"] = "default"
            self.assertEqual(len(bench_report.with_avx512_libtorch_w5({"benchmarks": []}, "bench", [])["benchmarks"]), 0)
            self.assertEqual(len(calls), 1)
        finally:
            bench_report.run_bench = saved_run
            os.environ.clear()
            os.environ.update(saved_env)


if __name__ == "__main__":
    unittest.main()
