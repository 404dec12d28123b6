"""Seeded model construction gives the same weights whatever other threads do."""
import threading

import torch

from vgtui.engine.training import build_model


def weights_of(model):
    return torch.cat([p.detach().flatten() for p in model.parameters()])


def test_build_model_is_unaffected_by_a_thread_seeding_torch_at_the_same_time():
    expected = {seed: weights_of(build_model("rnn", 2, 16, 1, seed)) for seed in (1, 2)}
    mismatches = []

    def build_many(seed):
        for _ in range(40):
            got = weights_of(build_model("rnn", 2, 16, 1, seed))
            if not torch.equal(got, expected[seed]):
                mismatches.append(seed)

    threads = [threading.Thread(target=build_many, args=(seed,)) for seed in (1, 2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert mismatches == []


def test_build_model_leaves_the_callers_random_state_alone():
    torch.manual_seed(123)
    expected = torch.rand(3)
    torch.manual_seed(123)
    build_model("gru", 2, 8, 1, seed=5)
    assert torch.equal(torch.rand(3), expected)
