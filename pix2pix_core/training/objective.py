"""The pix2pix objective: a conditional GAN loss (vanilla or least squares) plus lambda * L1."""

from __future__ import annotations

import torch
import torch.nn.functional as F

from ..errors import ConfigError

GAN_MODES = ("vanilla", "lsgan")


def gan_loss(logits: torch.Tensor, target_is_real: bool, mode: str = "vanilla") -> torch.Tensor:
    """Vanilla: BCE on logits (the discriminator has no sigmoid); lsgan: mean squared error to 1 or 0."""
    target = torch.full_like(logits, 1.0 if target_is_real else 0.0)
    if mode == "vanilla":
        return F.binary_cross_entropy_with_logits(logits, target)
    if mode == "lsgan":
        return F.mse_loss(logits, target)
    raise ConfigError(f"gan_mode must be one of {', '.join(GAN_MODES)}, got {mode!r}.")


def discriminator_loss(real_logits: torch.Tensor, fake_logits: torch.Tensor, mode: str = "vanilla") -> torch.Tensor:
    """``0.5 * (L(D(A, B), real) + L(D(A, G(A)), fake))``: halved, as in the paper, to slow D relative to G."""
    return 0.5 * (gan_loss(real_logits, True, mode) + gan_loss(fake_logits, False, mode))


def generator_loss(fake_logits: torch.Tensor, fake: torch.Tensor, target: torch.Tensor, lambda_l1: float = 100.0,
                   mode: str = "vanilla") -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """``L(D(A, G(A)), real) + lambda * |G(A) - B|_1``; returns (total, gan term, l1 term)."""
    adversarial = gan_loss(fake_logits, True, mode)
    l1 = F.l1_loss(fake, target)
    return adversarial + lambda_l1 * l1, adversarial, l1


def multiscale_gan_loss(outputs: list[list[torch.Tensor]], target_is_real: bool, mode: str = "lsgan") -> torch.Tensor:
    """pix2pixHD's GAN loss of a multiscale discriminator: the loss of each scale's logits (the last entry of its
    list), summed over the scales."""
    return sum(gan_loss(features[-1], target_is_real, mode) for features in outputs)


def feature_matching_loss(fake_outputs: list[list[torch.Tensor]], real_outputs: list[list[torch.Tensor]],
                          n_layers: int) -> torch.Tensor:
    """pix2pixHD's discriminator feature matching: L1 between every intermediate feature (all but the logits) of
    the fake and the detached real pair, weighted ``4 / (n_layers + 1)`` per layer and ``1 / num_D`` per scale."""
    layer_weight, scale_weight = 4.0 / (n_layers + 1), 1.0 / len(fake_outputs)
    return sum(scale_weight * layer_weight * F.l1_loss(fake, real.detach())
               for fakes, reals in zip(fake_outputs, real_outputs) for fake, real in zip(fakes[:-1], reals[:-1]))
