"""Window sums and the nodes' arithmetic on masks that round to integers other than 0 and 1."""

import torch
import torch.nn.functional as F

from inpaint_core.integer_masks import is_binary, neutralise_any, window_sums


def test_window_sums_are_conv2d_with_a_ones_kernel():
    values = torch.randint(-3, 4, (2, 1, 23, 31)).float()
    for up, down, left, right in [(0, 0, 0, 0), (1, 2, 3, 0), (5, 5, 5, 5), (40, 0, 0, 40)]:
        kernel = torch.ones(1, 1, up + down + 1, left + right + 1)
        # conv2d's window at i spans i-pad .. i-pad+k-1: pad by `down` above and `up` below (rows)
        expected = F.conv2d(F.pad(values, (right, left, down, up)), kernel)
        assert torch.equal(window_sums(values, up, down, left, right).float(), expected)


def test_neutralise_any_inverts_where_the_mask_rounds_to_2_and_keeps_the_fourth_channel():
    pixels = torch.rand(1, 4, 4, 4)
    rounded = torch.tensor([0.0, 1.0, 2.0, -1.0]).reshape(1, 1, 1, 4).expand(1, 1, 4, 4)
    out = neutralise_any(pixels, rounded)
    rgb = pixels[..., :3]
    assert torch.equal(out[..., 0, :3], rgb[..., 0, :])
    assert torch.all(out[..., 1, :3] == 0.5)
    assert torch.equal(out[..., 2, :3], (rgb[..., 2, :] - 0.5) * -1 + 0.5)
    assert torch.equal(out[..., 3, :3], (rgb[..., 3, :] - 0.5) * 2 + 0.5)
    assert torch.equal(out[..., 3], pixels[..., 3])
    assert is_binary(torch.tensor([0.0, -0.0, 1.0])) and not is_binary(torch.tensor([0.0, 2.0]))
