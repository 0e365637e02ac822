import torch

from palabra2vec.training.model import SkipGram, masked_bce_loss


def test_loss_check_values():
    """MISSION step 8."""
    scores = torch.tensor([[1.1, -2.2, 3.3, -4.4]] * 2)
    labels = torch.tensor([[1.0, 0.0, 0.0, 0.0], [0.0, 1.0, 0.0, 0.0]])
    mask = torch.tensor([[1.0, 1.0, 1.0, 1.0], [1.0, 1.0, 0.0, 0.0]])
    loss = masked_bce_loss(scores, labels, mask)
    assert torch.allclose(loss, torch.tensor([0.9352, 1.8462]), atol=1e-4)
    # "sum" is the sum over real positions of the same terms
    per_example_sum = loss * mask.sum(1)
    assert torch.allclose(masked_bce_loss(scores, labels, mask, "sum"), per_example_sum.sum())


def test_forward_shape_and_value():
    m = SkipGram(20, 4)
    centers = torch.tensor([[1], [2]])
    cn = torch.tensor([[3, 4, 5], [6, 7, 0]])
    out = m(centers, cn)
    assert out.shape == (2, 1, 3)  # (batch, 1, max_len)
    assert torch.allclose(out[1, 0, 1], m.input.weight[2] @ m.output.weight[7])


def test_inits():
    g = torch.Generator().manual_seed(0)
    m = SkipGram(1000, 50)
    m.reset_parameters("word2vec", g)
    assert m.input.weight.abs().max() <= 0.5 / 50 and (m.output.weight == 0).all()
    m.reset_parameters("gensim", g)
    assert 0.9 / 50 < m.input.weight.abs().max() <= 1 / 50 and (m.output.weight == 0).all()
    m.reset_parameters("xavier", g)
    bound = (6 / (1000 + 50)) ** 0.5
    assert m.output.weight.abs().max() <= bound and m.output.weight.abs().max() > bound * 0.9


def test_backends_start_from_the_same_tables_as_the_module_inits():
    import numpy as np

    from palabra2vec.config import TrainConfig
    from palabra2vec.variants import init_tables

    for init, bound in [("gensim", 1 / 50), ("word2vec", 0.5 / 50), ("xavier", (6 / (1000 + 50)) ** 0.5)]:
        cfg = TrainConfig(vector_size=50, init=init, seed=3)
        a0, a1 = init_tables(cfg, 1000).values()
        b0, _ = init_tables(cfg, 1000).values()
        assert np.array_equal(a0, b0) and a0.dtype == np.float32
        assert 0.9 * bound < np.abs(a0).max() <= bound
        assert (a1 == 0).all() if init != "xavier" else 0.9 * bound < np.abs(a1).max() <= bound


def test_uniform_tables_drawn_in_blocks_are_the_one_draw_cast():
    """Tables are drawn a block of rows at a time (no float64 copy of a whole table): the
    floats must be those of one ``rng.uniform`` draw cast to float32, whatever the block."""
    import numpy as np

    from palabra2vec.variants import uniform_float32

    want = np.random.default_rng(7).uniform(-0.02, 0.02, size=(1001, 13)).astype(np.float32)
    for block in (1, 3, 1000, 5000):
        got = uniform_float32(np.random.default_rng(7), 0.02, (1001, 13), block=block)
        assert got.dtype == np.float32 and np.array_equal(got, want), block
