"""Kept for imports of sb_mm 0.1: what this module held now lives in
:mod:`sb_mm.apis.cli` (flags, configs), :mod:`sb_mm.apis.run_setup` (run
options), :mod:`sb_mm.apis.models` (models for the tools) and
:mod:`sb_mm.apis.checks` (config, data and checkpoint checks)."""
from .checks import (  # noqa: F401
    check_checkpoint_file,
    check_checkpoint_matches,
    check_data,
    check_data_roots,
    explain_unknown_type,
    innermost_dataset,
    read_config,
)
from .cli import *  # noqa: F401,F403
from .models import *  # noqa: F401,F403
from .run_setup import *  # noqa: F401,F403
