"""The native compute kernels of the 'hologram' device, one module per family.

Importing this module records them all (see :mod:`._registry`):

* :mod:`._elementwise`: add/sub/mul/div (tensor, scalar and broadcast
  operands), maximum/minimum, sqrt/neg/abs/exp/log/relu/sigmoid/tanh/gelu,
  pow by 0/0.5/1/2/-1, clamps, and the optimizer updates addcmul/addcdiv/lerp;
* :mod:`._activations`: the backward ops of ReLU, sigmoid, tanh and GELU;
* :mod:`._softmax`: softmax and log-softmax over the last dim, with backward;
* :mod:`._reductions`: sum/mean over any dims, max/min, the MSE loss and its backward;
* :mod:`._linalg`: mm, addmm, bmm.

Every kernel computes with hologram ops on the tensors' buffers (executor:
:func:`hologram_torch.device.executor`) and sends the arguments it does not
cover to the CPU fallback, which warns.
"""

from hologram_torch.device import _activations, _elementwise, _linalg, _reductions, _softmax

__all__ = ["_activations", "_elementwise", "_linalg", "_reductions", "_softmax"]
