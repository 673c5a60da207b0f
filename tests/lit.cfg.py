# lit configuration for nnc: FileCheck tests of IR dumps, diagnostics and
# end-to-end training runs.
import os
import lit.formats

config.name = "nnc"
config.test_format = lit.formats.ShTest(execute_external=False)
config.suffixes = [".nn", ".test", ".ir"]
config.excludes = ["Inputs", "unit", "fuzz"]
# One suite over tests/lit (compiler output, diagnostics) and tests/e2e
# (training on real data with quality thresholds).
config.test_source_root = os.path.dirname(__file__)
config.test_exec_root = os.path.join(os.path.dirname(config.nnc_bin_dir), "tests", "lit-out")

path = os.path.pathsep.join([config.nnc_bin_dir, config.llvm_tools_dir, config.environment.get("PATH", os.environ["PATH"])])
config.environment["PATH"] = path
# Data caches (runtime/data_cache.h) of the tests' CSVs stay in the build tree.
config.environment["XDG_CACHE_HOME"] = os.path.join(config.test_exec_root, "xdg-cache")
config.environment.pop("NNC_DATA_CACHE_DIR", None)

# %nnc-opt before %nnc, which is its prefix.
config.substitutions.append(("%nnc-opt", os.path.join(config.nnc_bin_dir, "nnc-opt")))
config.substitutions.append(("%nnc", os.path.join(config.nnc_bin_dir, "nnc")))
config.substitutions.append(("%examples", os.path.join(config.nnc_src_root, "examples")))
config.substitutions.append(("%shared_data", config.shared_data_dir))
config.substitutions.append(("%python", config.python))
config.substitutions.append(("%expect_exit", config.python + " " + os.path.join(config.nnc_src_root, "tests", "expect_exit.py")))
config.substitutions.append(("%peak_rss", config.python + " " + os.path.join(config.nnc_src_root, "tests", "peak_rss.py")))
config.substitutions.append(("%gen_csv", config.python + " " + os.path.join(config.nnc_src_root, "bench", "gen_csv.py")))
config.substitutions.append(("%check_metric", config.python + " " + os.path.join(config.nnc_src_root, "tests", "e2e", "check_metric.py")))

if os.path.isdir(config.shared_data_dir):
    config.available_features.add("shared-data")
# A test that needs more memory than ASan can hand out (a huge allocation that
# must fail cleanly) says `UNSUPPORTED: asan`.
if "address" in config.nnc_sanitize:
    config.available_features.add("asan")
if hasattr(os, "geteuid") and os.geteuid() == 0:
    config.available_features.add("root")  # may chown files to another user
