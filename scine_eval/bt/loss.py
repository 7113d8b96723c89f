"""Preference losses on scalar scores: Bradley-Terry, and Bradley-Terry with ties (Rao-Kupper).

Rao-Kupper with tie parameter ``theta >= 1`` and ``d = s_chosen - s_rejected``::

    P(chosen wins)   = sigmoid(d - log theta)
    P(rejected wins) = sigmoid(-d - log theta)
    P(tie)           = 1 - both = sigmoid(log theta - d) - sigmoid(-log theta - d)

so a tie pulls the two scores together and a preference pushes them at least ``log theta`` apart.
``theta = 5`` follows VideoReward's released recipe. With ``theta = 1`` and no ties it is plain BT.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F

__all__ = ["LOSSES", "bradley_terry", "rao_kupper"]


def bradley_terry(chosen: torch.Tensor, rejected: torch.Tensor, tie: torch.Tensor | None = None) -> torch.Tensor:
    """Mean ``-log sigmoid(chosen - rejected)``; tied pairs carry no preference and are left out."""
    keep = ~tie if tie is not None else torch.ones_like(chosen, dtype=torch.bool)
    if not keep.any():
        return (chosen - rejected).sum() * 0.0  # keeps the graph for backward
    return -F.logsigmoid((chosen - rejected)[keep]).mean()


def rao_kupper(
    chosen: torch.Tensor, rejected: torch.Tensor, tie: torch.Tensor | None = None, theta: float = 5.0
) -> torch.Tensor:
    """Mean negative log-likelihood under Rao-Kupper (see the module docstring)."""
    if theta < 1:
        raise ValueError(f"theta={theta}: the Rao-Kupper tie parameter must be at least 1")
    log_theta = math.log(theta)
    d = chosen - rejected
    win = F.logsigmoid(d - log_theta)
    if tie is None:
        return -win.mean()
    upper, lower = F.logsigmoid(log_theta - d), F.logsigmoid(-log_theta - d)
    # log(sigmoid(a) - sigmoid(b)) = log sigmoid(a) + log(1 - exp(log sigmoid(b) - log sigmoid(a)))
    draw = upper + torch.log(-torch.expm1((lower - upper).clamp(max=-1e-7)))
    return -torch.where(tie, draw, win).mean()


LOSSES = {"bt": bradley_terry, "bt-ties": rao_kupper}
"""Losses by the name ``--loss`` takes."""
