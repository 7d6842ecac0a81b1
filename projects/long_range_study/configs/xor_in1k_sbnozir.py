# Long-range study, beyond the paper: SB with the residual branches' last
# norm not zero-initialised (the libraries default to zero_init_residual=True,
# which closes the branch, and so the SB maps' only way into the block's
# output, until that norm's scale grows; the GC blocks of the study sit
# outside the branch).
_base_ = './xor_in1k_sb.py'

model = dict(backbone=dict(zero_init_residual=False))
