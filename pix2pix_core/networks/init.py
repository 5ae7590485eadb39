"""The paper's weight initialisation: N(0, 0.02) conv weights, N(1, 0.02) BatchNorm weights, zero biases (pix2pixHD
keeps PyTorch's default conv biases: ``zero_biases=False``)."""

from torch import nn


def init_weights(net: nn.Module, gain: float = 0.02, zero_biases: bool = True) -> nn.Module:
    """Initialise ``net`` in place (post-order, as ``nn.Module.apply``) and return it."""

    def init_module(m: nn.Module) -> None:
        if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d, nn.Linear)):
            nn.init.normal_(m.weight, 0.0, gain)
            if m.bias is not None and zero_biases:
                nn.init.zeros_(m.bias)
        elif isinstance(m, nn.BatchNorm2d):
            nn.init.normal_(m.weight, 1.0, gain)
            nn.init.zeros_(m.bias)

    return net.apply(init_module)
