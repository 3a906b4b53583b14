# Shared set-up: config validation (one-line errors, before any job runs) and the plan. Every rule's
# inputs, outputs and arguments come from PLAN (src/cgtsafe/plan/, unit-tested without Snakemake).
import datetime
import os
import sys
from pathlib import Path

# Run the checkout's own package in every job (pip install or `--sdm conda` alike).
SRC_DIR = str(Path(workflow.basedir).parent / "src")
_PYPATH = [SRC_DIR] + [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]
os.environ.update(PYTHONPATH=os.pathsep.join(_PYPATH))
sys.path.insert(0, SRC_DIR)

from cgtsafe.config import validate_config
from cgtsafe.errors import InputError
from cgtsafe.plan import Plan
from cgtsafe.plan.common import mem_mb, not_applicable_args, output_dir, results_dir, runtime, seq_mem_mb

SCHEMA_DIR = Path(workflow.basedir) / "schemas"
# the file the user named with --configfile (it overrides the default config/config.yaml), else the default
_CLI_CONFIGS = list(workflow.overwrite_configfiles or [])
CONFIG_FILE = str(
    _CLI_CONFIGS[-1] if _CLI_CONFIGS else (workflow.configfiles[-1] if workflow.configfiles else "config")
)
RUN_STARTED = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0).isoformat()
COMMAND_LINE = " ".join(sys.argv)
# With --sdm conda the job's own `python` (from envs/cgtsafe.yaml) runs the package; otherwise the
# interpreter that runs snakemake (e.g. .venv/bin/python), so no PATH set-up is needed.
_CONDA = any(m.name == "CONDA" for m in workflow.deployment_settings.deployment_method)

try:
    validate_config(config, path=CONFIG_FILE, schema_dir=SCHEMA_DIR)
    PLAN = Plan(config, config_file=CONFIG_FILE, root="results", conda=_CONDA)
except InputError as exc:
    # one line, no traceback, before anything is written to results/
    sys.stderr.write(f"cgtsafe: error: {exc}\n")
    sys.exit(2)


def plan_of(analysis):
    """PLAN.<analysis>, its inputs checked when first used (one line on error, like the config)."""
    try:
        return getattr(PLAN, analysis)
    except InputError as exc:
        sys.stderr.write(f"cgtsafe: error: {exc}\n")
        sys.exit(2)


CGTSAFE = PLAN.cmd
RESULTS = PLAN.root
