"""Stages capture, integerize, tile and serialize: a layer's activations from forward pre-hooks
(``capture``), integers and the recovered-psum check (``integerize``), WS and OS tiles checked
against a direct conv (``tiling``, ``tile_check``) on the conv ``geometry`` that the core shares, and the
vector files (``vectors``, ``serialize``)."""
