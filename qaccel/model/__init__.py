"""The network: VGG16_quant's layer table (``layers``), the model built from it (``vgg``), its
quantizers (``quant``, with the compiled kernels of ``fused_quant``) and checkpoints (``checkpoint``)."""
