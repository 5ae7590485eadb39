"""An independent reading of NVIDIA/pix2pixHD's ``models/networks.py`` (commit 14b3b3c, BSD), for the tests: the
module trees (attribute names, Sequential indices) and forwards as that file defines them, with plain torch.nn
layers, written here without the pack's code. Its state dicts are what NVIDIA's ``latest_net_*.pth`` hold.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn


def instance_norm(channels: int) -> nn.Module:
    return nn.InstanceNorm2d(channels, affine=False)  # NVIDIA's default norm ('instance')


class ResnetBlock(nn.Module):
    def __init__(self, dim: int, norm=instance_norm) -> None:
        super().__init__()
        self.conv_block = nn.Sequential(nn.ReflectionPad2d(1), nn.Conv2d(dim, dim, 3), norm(dim), nn.ReLU(True),
                                        nn.ReflectionPad2d(1), nn.Conv2d(dim, dim, 3), norm(dim))

    def forward(self, x):
        return x + self.conv_block(x)


def global_layers(input_nc, output_nc, ngf, n_down, n_blocks, norm=instance_norm) -> list[nn.Module]:
    layers = [nn.ReflectionPad2d(3), nn.Conv2d(input_nc, ngf, 7), norm(ngf), nn.ReLU(True)]
    for i in range(n_down):
        layers += [nn.Conv2d(ngf * 2**i, ngf * 2 ** (i + 1), 3, stride=2, padding=1), norm(ngf * 2 ** (i + 1)),
                   nn.ReLU(True)]
    layers += [ResnetBlock(ngf * 2**n_down, norm) for _ in range(n_blocks)]
    for i in range(n_down):
        mult = 2 ** (n_down - i)
        layers += [nn.ConvTranspose2d(ngf * mult, ngf * mult // 2, 3, stride=2, padding=1, output_padding=1),
                   norm(ngf * mult // 2), nn.ReLU(True)]
    return [*layers, nn.ReflectionPad2d(3), nn.Conv2d(ngf, output_nc, 7), nn.Tanh()]


class GlobalGenerator(nn.Module):
    def __init__(self, input_nc, output_nc, ngf=64, n_down=4, n_blocks=9) -> None:
        super().__init__()
        self.model = nn.Sequential(*global_layers(input_nc, output_nc, ngf, n_down, n_blocks))

    def forward(self, x):
        return self.model(x)


def pool() -> nn.AvgPool2d:
    return nn.AvgPool2d(3, stride=2, padding=[1, 1], count_include_pad=False)


class LocalEnhancer(nn.Module):
    def __init__(self, input_nc, output_nc, ngf=32, n_down=4, n_blocks_global=9, n_local=1, n_blocks_local=3):
        super().__init__()
        self.n_local = n_local
        self.model = nn.Sequential(*global_layers(input_nc, output_nc, ngf * 2**n_local, n_down,
                                                  n_blocks_global)[:-3])
        for n in range(1, n_local + 1):
            width = ngf * 2 ** (n_local - n)
            down = [nn.ReflectionPad2d(3), nn.Conv2d(input_nc, width, 7), instance_norm(width), nn.ReLU(True),
                    nn.Conv2d(width, width * 2, 3, stride=2, padding=1), instance_norm(width * 2), nn.ReLU(True)]
            up = [ResnetBlock(width * 2) for _ in range(n_blocks_local)]
            up += [nn.ConvTranspose2d(width * 2, width, 3, stride=2, padding=1, output_padding=1),
                   instance_norm(width), nn.ReLU(True)]
            if n == n_local:
                up += [nn.ReflectionPad2d(3), nn.Conv2d(ngf, output_nc, 7), nn.Tanh()]
            setattr(self, f"model{n}_1", nn.Sequential(*down))
            setattr(self, f"model{n}_2", nn.Sequential(*up))
        self.downsample = pool()

    def forward(self, x):
        pyramid = [x]
        for _ in range(self.n_local):
            pyramid.append(self.downsample(pyramid[-1]))
        out = self.model(pyramid[-1])
        for n in range(1, self.n_local + 1):
            out = getattr(self, f"model{n}_2")(getattr(self, f"model{n}_1")(pyramid[self.n_local - n]) + out)
        return out


class NLayerDiscriminator(nn.Module):
    def __init__(self, input_nc, ndf=64, n_layers=3, interm=False) -> None:
        super().__init__()
        self.interm, self.n_layers = interm, n_layers
        seq = [[nn.Conv2d(input_nc, ndf, 4, stride=2, padding=2), nn.LeakyReLU(0.2, True)]]
        nf = ndf
        for _ in range(1, n_layers):
            prev, nf = nf, min(nf * 2, 512)
            seq.append([nn.Conv2d(prev, nf, 4, stride=2, padding=2), instance_norm(nf), nn.LeakyReLU(0.2, True)])
        prev, nf = nf, min(nf * 2, 512)
        seq.append([nn.Conv2d(prev, nf, 4, stride=1, padding=2), instance_norm(nf), nn.LeakyReLU(0.2, True)])
        seq.append([nn.Conv2d(nf, 1, 4, stride=1, padding=2)])
        if interm:
            for n, group in enumerate(seq):
                setattr(self, f"model{n}", nn.Sequential(*group))
        else:
            self.model = nn.Sequential(*[layer for group in seq for layer in group])


class MultiscaleDiscriminator(nn.Module):
    def __init__(self, input_nc, ndf=64, n_layers=3, num_D=3, interm=False) -> None:  # noqa: N803
        super().__init__()
        self.num_D, self.n_layers, self.interm = num_D, n_layers, interm
        for i in range(num_D):
            d = NLayerDiscriminator(input_nc, ndf, n_layers, interm)
            if interm:
                for j in range(n_layers + 2):
                    setattr(self, f"scale{i}_layer{j}", getattr(d, f"model{j}"))
            else:
                setattr(self, f"layer{i}", d.model)
        self.downsample = pool()

    def forward(self, x):
        result = []
        for i in range(self.num_D):
            k = self.num_D - 1 - i
            if self.interm:
                outs = [x]
                for j in range(self.n_layers + 2):
                    outs.append(getattr(self, f"scale{k}_layer{j}")(outs[-1]))
                result.append(outs[1:])
            else:
                result.append([getattr(self, f"layer{k}")(x)])
            if i != self.num_D - 1:
                x = self.downsample(x)
        return result


class Encoder(nn.Module):
    def __init__(self, input_nc, output_nc, ngf=16, n_down=4) -> None:
        super().__init__()
        self.output_nc = output_nc
        layers = global_layers(input_nc, output_nc, ngf, n_down, 0)  # no residual blocks in between
        self.model = nn.Sequential(*layers)

    def forward(self, x, inst):
        """NVIDIA's instance-wise average pooling, its own loop (per id, per image, per channel)."""
        outputs = self.model(x)
        means = outputs.clone()
        for i in np.unique(inst.cpu().numpy().astype(int)):
            for b in range(x.shape[0]):
                idx = (inst[b:b + 1] == int(i)).nonzero()
                for j in range(self.output_nc):
                    values = outputs[idx[:, 0] + b, idx[:, 1] + j, idx[:, 2], idx[:, 3]]
                    means[idx[:, 0] + b, idx[:, 1] + j, idx[:, 2], idx[:, 3]] = values.mean()
        return means


def weights_init(m: nn.Module) -> None:
    """NVIDIA's init: N(0, 0.02) conv weights (biases left at PyTorch's default)."""
    if "Conv" in type(m).__name__:
        m.weight.data.normal_(0.0, 0.02)


def get_edges(t):
    """NVIDIA's Pix2PixHDModel.get_edges: a byte map, 1 where the right/left/lower/upper neighbour differs."""
    edge = torch.zeros(t.shape, dtype=torch.uint8)
    edge[:, :, :, 1:] = edge[:, :, :, 1:] | (t[:, :, :, 1:] != t[:, :, :, :-1])
    edge[:, :, :, :-1] = edge[:, :, :, :-1] | (t[:, :, :, 1:] != t[:, :, :, :-1])
    edge[:, :, 1:, :] = edge[:, :, 1:, :] | (t[:, :, 1:, :] != t[:, :, :-1, :])
    edge[:, :, :-1, :] = edge[:, :, :-1, :] | (t[:, :, 1:, :] != t[:, :, :-1, :])
    return edge.float()


def encode_input(label_map, inst_map, label_nc):
    """NVIDIA's encode_input at test time: one-hot by scatter over label_nc channels, then the instance edges."""
    one_hot = torch.zeros(label_map.shape[0], label_nc, *label_map.shape[2:]).scatter_(1, label_map.long(), 1.0)
    return one_hot if inst_map is None else torch.cat((one_hot, get_edges(inst_map)), dim=1)


# ----------------------------------------------------------------------------------------------- the training step
class Vgg19(nn.Module):
    """NVIDIA's Vgg19: torchvision's vgg19().features in five slices, ending at relu1_1 ... relu5_1."""

    def __init__(self) -> None:
        super().__init__()
        cfg = [64, 64, "M", 128, 128, "M", 256, 256, 256, 256, "M", 512, 512, 512, 512, "M", 512]
        layers, c = [], 3
        for v in cfg:
            if v == "M":
                layers.append(nn.MaxPool2d(kernel_size=2, stride=2))
            else:
                layers += [nn.Conv2d(c, v, kernel_size=3, padding=1), nn.ReLU(inplace=True)]
                c = v
        self.features = nn.Sequential(*layers)  # torchvision's key names: features.N.weight
        self.slices = [range(0, 2), range(2, 7), range(7, 12), range(12, 21), range(21, 30)]

    def forward(self, x):
        out = []
        for s in self.slices:
            for i in s:
                x = self.features[i](x)
            out.append(x)
        return out


def gan_loss(pred, target_is_real):
    """NVIDIA's GANLoss(use_lsgan=True) on a multiscale output: MSE of each scale's last entry, summed."""
    loss = 0
    for input_i in pred:
        p = input_i[-1]
        loss += nn.functional.mse_loss(p, torch.full_like(p, 1.0 if target_is_real else 0.0))
    return loss


def vgg_loss(vgg, x, y):
    weights = [1.0 / 32, 1.0 / 16, 1.0 / 8, 1.0 / 4, 1.0]
    x_vgg, y_vgg = vgg(x), vgg(y)
    return sum(weights[i] * nn.functional.l1_loss(x_vgg[i], y_vgg[i].detach()) for i in range(len(x_vgg)))


def train_step(net_g, net_d, vgg, optimizer_g, optimizer_d, input_label, real_image, n_layers_d, num_d,
               lambda_feat=10.0, net_e=None, inst_map=None):
    """Pix2PixHDModel.forward (pool size 0; with net_e, --instance_feat: the encoded real image's instance means
    follow the label map into G, not into D) and the body of train.py's loop; returns the losses."""
    input_concat = input_label if net_e is None else torch.cat((input_label, net_e(real_image, inst_map)), dim=1)
    fake_image = net_g(input_concat)
    pred_fake_pool = net_d(torch.cat((input_label, fake_image.detach()), dim=1))
    loss_d_fake = gan_loss(pred_fake_pool, False)
    pred_real = net_d(torch.cat((input_label, real_image.detach()), dim=1))
    loss_d_real = gan_loss(pred_real, True)
    pred_fake = net_d(torch.cat((input_label, fake_image), dim=1))
    loss_g_gan = gan_loss(pred_fake, True)
    loss_g_gan_feat = 0
    feat_weights, d_weights = 4.0 / (n_layers_d + 1), 1.0 / num_d
    for i in range(num_d):
        for j in range(len(pred_fake[i]) - 1):
            loss_g_gan_feat += d_weights * feat_weights * nn.functional.l1_loss(
                pred_fake[i][j], pred_real[i][j].detach()) * lambda_feat
    loss_g_vgg = vgg_loss(vgg, fake_image, real_image) * lambda_feat
    loss_d = (loss_d_fake + loss_d_real) * 0.5
    loss_g = loss_g_gan + loss_g_gan_feat + loss_g_vgg
    optimizer_g.zero_grad()
    loss_g.backward()
    optimizer_g.step()
    optimizer_d.zero_grad()
    loss_d.backward()
    optimizer_d.step()
    return {"loss_g": loss_g.item(), "loss_d": loss_d.item(), "gan": loss_g_gan.item(),
            "feat": loss_g_gan_feat.item(), "vgg": loss_g_vgg.item()}


def local_enhancer_parameters(net_g, n_local_enhancers):
    """What NVIDIA's optimizer_G holds while --niter_fix_global lasts: the parameters of model{n_local}*."""
    return [v for k, v in net_g.named_parameters() if k.startswith("model" + str(n_local_enhancers))]
