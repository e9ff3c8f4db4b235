# lit configuration for Sigma's IR tests: each .sg file runs `sigma opt` and FileCheck.
import os
import lit.formats

config.name = "sigma"
config.test_format = lit.formats.ShTest(execute_external=False)
config.suffixes = [".sg", ".sl"]
config.test_source_root = os.path.dirname(__file__)
config.test_exec_root = os.path.join(config.sigma_binary_dir, "tests", "lit")
config.substitutions.append(("%sigma", os.path.join(config.sigma_binary_dir, "bin", "sigma")))
config.substitutions.append(("FileCheck", config.filecheck))
config.substitutions.append(("%not", config.not_tool))
# lit runs commands in a clean environment: keep the tests' object cache
# (tests/CMakeLists.txt) for any command that compiles a step.
if "SIGMA_CACHE_DIR" in os.environ:
    config.environment["SIGMA_CACHE_DIR"] = os.environ["SIGMA_CACHE_DIR"]
