"""The study's SB variants as rows of the library's benchmark: import it
with ``tools/analysis_tools/benchmark.py --sb-variants --custom-imports
projects.long_range_study.study.benchmark_variants``."""
from sb_mm.benchmark.models import SB_VARIANTS

from . import sb_options  # noqa: F401  (registers the sb_cfg keys)

SB_VARIANTS.update({
    'SB-R50 maps to output': dict(sb_cfg=dict(add_to_output=True)),
    'SB-R50 shared mix': dict(sb_cfg=dict(shared_mix=True)),
})
