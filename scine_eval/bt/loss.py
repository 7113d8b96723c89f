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

from scine_eval.bt.config import LOSS_NAMES

__all__ = ["LOSSES", "bradley_terry", "counted", "rao_kupper"]


def bradley_terry(
    chosen: torch.Tensor, rejected: torch.Tensor, tie: torch.Tensor | None = None, reduction: str = "mean"
) -> torch.Tensor:
    """Mean (or sum) of ``-log sigmoid(chosen - rejected)``; tied pairs carry no preference and are left out."""
    keep = ~tie if tie is not None else torch.ones_like(chosen, dtype=torch.bool)
    if not keep.any():
        return (chosen - rejected).sum() * 0.0  # keeps the graph for backward
    nll = -F.logsigmoid((chosen - rejected)[keep])
    return nll.sum() if reduction == "sum" else nll.mean()


def rao_kupper(
    chosen: torch.Tensor,
    rejected: torch.Tensor,
    tie: torch.Tensor | None = None,
    theta: float = 5.0,
    reduction: str = "mean",
) -> torch.Tensor:
    """Mean (or sum) negative log-likelihood under Rao-Kupper (see the module docstring)."""
    if theta < 1:
        raise ValueError(f"theta={theta}: the Rao-Kupper tie parameter must be at least 1")
    log_theta = math.log(theta)
    d = chosen - rejected
    win = F.logsigmoid(d - log_theta)
    if tie is None:
        tie = torch.zeros_like(d, dtype=torch.bool)
    upper, lower = F.logsigmoid(log_theta - d), F.logsigmoid(-log_theta - d)
    # log(sigmoid(a) - sigmoid(b)) = log sigmoid(a) + log(1 - exp(log sigmoid(b) - log sigmoid(a)))
    draw = upper + torch.log(-torch.expm1((lower - upper).clamp(max=-1e-7)))
    nll = -torch.where(tie, draw, win)
    return nll.sum() if reduction == "sum" else nll.mean()


LOSSES = {"bt": bradley_terry, "bt-ties": rao_kupper}
assert tuple(LOSSES) == LOSS_NAMES
"""Losses by the name ``--loss`` takes."""


def counted(loss: str, tie: torch.Tensor) -> int:
    """How many pairs a loss averages over: BT leaves ties out, Rao-Kupper counts them."""
    return int((~tie).sum()) if loss == "bt" else int(tie.numel())
