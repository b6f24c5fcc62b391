"""The emsh U-Net in PyTorch (same layers, same parameter names as an .emodel), shared by the learning benches."""
import torch
import torch.nn as nn
import torch.nn.functional as F


class Block(nn.Module):
    def __init__(self, cin, cout, groups):
        super().__init__()
        g = min(groups, cout)
        while cout % g:
            g -= 1
        self.conv1 = nn.Conv2d(cin, cout, 3, padding=1, bias=False)
        self.norm1 = nn.GroupNorm(g, cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, padding=1, bias=False)
        self.norm2 = nn.GroupNorm(g, cout)

    def forward(self, x):
        x = F.relu(self.norm1(self.conv1(x)))
        return F.relu(self.norm2(self.conv2(x)))


class UNet(nn.Module):
    """depth levels including the bottleneck, width doubling per level; concat order [up, skip]."""

    def __init__(self, depth=4, width=16, frames=1, groups=8):
        super().__init__()
        self.levels = depth - 1
        ch = lambda l: width << l
        for l in range(self.levels):
            setattr(self, f"enc{l}", Block(frames if l == 0 else ch(l - 1), ch(l), groups))
            setattr(self, f"up{l}", nn.ConvTranspose2d(ch(l + 1), ch(l), 2, stride=2))
            setattr(self, f"dec{l}", Block(2 * ch(l), ch(l), groups))
        self.bottom = Block(frames if self.levels == 0 else ch(self.levels - 1), ch(self.levels), groups)
        self.head = nn.Conv2d(width, 1, 1)

    def forward(self, x):
        skips = []
        for l in range(self.levels):
            x = getattr(self, f"enc{l}")(x)
            skips.append(x)
            x = F.max_pool2d(x, 2)
        x = self.bottom(x)
        for l in reversed(range(self.levels)):
            x = getattr(self, f"up{l}")(x)
            x = getattr(self, f"dec{l}")(torch.cat([x, skips[l]], 1))
        return self.head(x)


def seg_loss(logits, target, pos_weight=1.0, dice_weight=1.0, smooth=1.0):
    bce = F.binary_cross_entropy_with_logits(logits, target, pos_weight=torch.tensor(pos_weight))
    p = torch.sigmoid(logits)
    dice = (2 * (p * target).sum() + smooth) / (p.sum() + target.sum() + smooth)
    return bce + dice_weight * (1 - dice)
