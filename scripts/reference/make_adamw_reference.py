#!/usr/bin/python3
"""Golden values for dev.gspo.common.train.AdamW, from torch.optim.AdamW in float64.

Run with Debian's python3-torch:  /usr/bin/python3 scripts/reference/make_adamw_reference.py
Writes common/src/test/resources/reference/adamw/adamw.json. Deterministic (fixed seed).
Weight decay applies to the matrix only (the Java optimizer decays tensors of rank >= 2).
"""
import json
import pathlib

import torch

torch.manual_seed(1234)
lr, betas, eps, wd, steps = 0.01, (0.9, 0.999), 1e-8, 0.1, 4
matrix = torch.randn(3, 4, dtype=torch.float32).double().requires_grad_()
vector = torch.randn(4, dtype=torch.float32).double().requires_grad_()
init = {"w": matrix.detach().clone(), "b": vector.detach().clone()}
opt = torch.optim.AdamW([{"params": [matrix], "weight_decay": wd}, {"params": [vector], "weight_decay": 0.0}],
                        lr=lr, betas=betas, eps=eps)
grads = []
for _ in range(steps):
    g = {"w": torch.randn(3, 4, dtype=torch.float32).double(), "b": torch.randn(4, dtype=torch.float32).double()}
    grads.append(g)
    matrix.grad = g["w"].clone()
    vector.grad = g["b"].clone()
    opt.step()

state = {"w": opt.state[matrix], "b": opt.state[vector]}
flat = lambda t: [float(x) for x in t.reshape(-1).tolist()]
out = {
    "lr": lr, "beta1": betas[0], "beta2": betas[1], "eps": eps, "weight_decay": wd, "steps": steps,
    "shapes": {"w": [3, 4], "b": [4]},
    "initial": {k: flat(v) for k, v in init.items()},
    "grads": [{k: flat(v) for k, v in g.items()} for g in grads],
    "final": {"w": flat(matrix.detach()), "b": flat(vector.detach())},
    "exp_avg": {k: flat(s["exp_avg"]) for k, s in state.items()},
    "exp_avg_sq": {k: flat(s["exp_avg_sq"]) for k, s in state.items()},
}
path = pathlib.Path(__file__).resolve().parents[2] / "common/src/test/resources/reference/adamw/adamw.json"
path.write_text(json.dumps(out, indent=1) + "\n")
print("wrote", path)
