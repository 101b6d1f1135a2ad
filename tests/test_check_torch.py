"""check_gradient on a loss written with PyTorch: tensors in, a 0-d tensor out.

A custom `torch.autograd.Function` with a planted bug in its backward is flagged at its
coordinate; the same loss with a right backward passes; a dict of tensors (as
`model.named_parameters()` gives) is checked parameter by parameter; a float32 model is refused
in one line (its reference could only be differences of float32 values). The reference is
differences of the loss's own values, so nothing here is judged against PyTorch's autograd;
each planted error is far outside its tolerance.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

import diffmagic
from diffmagic.errors import DiffMagicError

GENERATOR = torch.Generator().manual_seed(0)
X = torch.randn(30, 4, dtype=torch.float64, generator=GENERATOR)
Y = torch.randn(30, dtype=torch.float64, generator=GENERATOR)
W0 = torch.tensor([0.3, -0.2, 0.5, 0.1], dtype=torch.float64)


class Cube(torch.autograd.Function):
    """w ** 3 with its backward written by hand: 3 w ** 2."""

    @staticmethod
    def forward(ctx, w):
        ctx.save_for_backward(w)
        return w**3

    @staticmethod
    def backward(ctx, upstream):
        (w,) = ctx.saved_tensors
        return upstream * 3 * w**2


class CubeWrongAtTwo(Cube):
    """The same, its backward 1% off at coordinate 2."""

    @staticmethod
    def backward(ctx, upstream):
        (w,) = ctx.saved_tensors
        grad = upstream * 3 * w**2
        scale = torch.ones_like(grad)
        scale[2] = 1.01
        return grad * scale


def loss_with(cube):
    def loss(w):
        return torch.mean(torch.tanh(X @ cube.apply(w)) - Y) ** 2

    return loss


def backward_of(loss):
    """The gradient the custom backward gives: what a PyTorch user checks."""

    def grad(w):
        w = w.detach().clone().requires_grad_(True)
        (derivative,) = torch.autograd.grad(loss(w), w)
        return derivative

    return grad


def test_a_planted_bug_in_a_custom_backward_is_flagged_at_its_coordinate():
    loss = loss_with(Cube)
    check = diffmagic.check_gradient(loss, backward_of(loss_with(CubeWrongAtTwo)), W0)
    assert not check.passed
    assert check.wrong.tolist() == [2]
    # By hand: d/dw of mean(tanh(X w^3) - Y)^2 = 2 m mean_i(sech^2(X w^3)_i X_ij) 3 w_j^2.
    inner = X @ W0**3
    m = torch.mean(torch.tanh(inner) - Y)
    hand = (2 * m * ((1 - torch.tanh(inner) ** 2) @ X) / len(Y) * 3 * W0**2).numpy()
    np.testing.assert_allclose(check.reference, hand, rtol=1e-6)


def test_a_right_custom_backward_passes():
    loss = loss_with(Cube)
    assert diffmagic.check_gradient(loss, backward_of(loss), W0).passed


LINEAR = torch.nn.Linear(3, 1).double()
INPUTS = torch.randn(20, 3, dtype=torch.float64, generator=GENERATOR)


def mean_square(params):
    return torch.mean(torch.func.functional_call(LINEAR, params, (INPUTS,)) ** 2)


def test_a_dict_of_tensors_is_checked_by_name():
    params = {name: value.detach().clone() for name, value in LINEAR.named_parameters()}

    def wrong_bias(params):
        leaves = {k: v.detach().clone().requires_grad_(True) for k, v in params.items()}
        grads = dict(
            zip(
                leaves, torch.autograd.grad(mean_square(leaves), list(leaves.values())), strict=True
            )
        )
        grads["bias"] = grads["bias"] + 0.05 * (grads["bias"].abs() + 1)
        return grads

    check = diffmagic.check_gradient(mean_square, wrong_bias, params)
    assert not check.passed
    assert check.summary().endswith("worst bias[0]")
    weights = check.per_coordinate()["reference"]["weight"]
    out = INPUTS @ params["weight"].T + params["bias"]
    hand = (2 * out * INPUTS).mean(axis=0).reshape(1, 3).numpy()
    np.testing.assert_allclose(weights, hand, rtol=1e-6)


def test_a_float32_model_is_refused_in_one_line_not_judged_by_noisy_differences():
    """Differences of float32 values cannot judge a float32 gradient (a right one read 0.35%
    off): refused, with the fix, instead of a false WRONG."""
    model = torch.nn.Linear(3, 1)
    inputs = INPUTS.float()
    params = {name: value.detach().clone() for name, value in model.named_parameters()}

    def loss(params):
        return torch.mean(torch.func.functional_call(model, params, (inputs,)) ** 2)

    with pytest.raises(DiffMagicError) as refused:
        diffmagic.check_gradient(loss, lambda params: params, params)
    assert str(refused.value).startswith("loss is a float32 PyTorch model")
    assert "model.double()" in str(refused.value) and "\n" not in str(refused.value)
