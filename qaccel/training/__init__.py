"""Stage train: quantization-aware training (``train``) with its batch sources (``batches``), one
optimizer step eager or as a CUDA graph (``train_step``) and alphas fitted to the data (``alpha_init``)."""
