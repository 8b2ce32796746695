#!/usr/bin/python3
"""Independent float64 reference for LoRA adapters over the project's decoder (PEFT's LoRA Linear).

For each case, over a model written by make_model_reference.py (common/src/test/resources/reference/model/<model>/),
writes common/src/test/resources/reference/lora/<case>/:

- adapter_config.json + adapter_model.safetensors: the adapter in PEFT's layout (tensor names
  base_model.model.<module path>.lora_A.weight [r, in] / .lora_B.weight [out, r]; float32). B is NOT zero (a fresh
  adapter's B is, which would make every check trivial).
- expected.json: per sequence the log-probs of the response tokens under base + adapter (float64, at the sequence's
  temperature), and the gradients of L = sum_s sum_j c[s][j] * logprob[s][j] with respect to every A and B.

Every adapted linear layer computes  y = x W^T + b + (alpha / r) * (x A^T) B^T  (dropout 0, no rank stabilisation);
in the sparse layers of a MoE model the MLP (the experts) is not adapted. Run with Debian's python:

    /usr/bin/python3 scripts/reference/make_lora_reference.py

Self-checks (asserted): the adapter moves the log-probs by far more than the tolerance; the merged model
W + (alpha/r) B A gives the same logits (< 1e-10); autograd gradients agree with central finite differences on
sampled entries; a zero B gives the base model's logits exactly. Deterministic: a rerun writes identical files.
"""

import json
import math
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import make_model_reference as M  # noqa: E402

OUT_ROOT = os.path.join(M.REPO_ROOT, "common", "src", "test", "resources", "reference", "lora")
MODEL_ROOT = M.OUT_ROOT
ALL_TARGETS = ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]
PARENT = {"q_proj": "self_attn", "k_proj": "self_attn", "v_proj": "self_attn", "o_proj": "self_attn",
          "gate_proj": "mlp", "up_proj": "mlp", "down_proj": "mlp"}

CASES = [
    dict(name="llama-gqa-r4", model="llama-gqa", seed=11, rank=4, alpha=8.0, targets=ALL_TARGETS),
    dict(name="qwen2-gqa-r2-qv", model="qwen2-gqa", seed=12, rank=2, alpha=16.0, targets=["q_proj", "v_proj"]),
    dict(name="qwen3-untied-r8", model="qwen3-untied", seed=13, rank=8, alpha=8.0, targets=ALL_TARGETS),
    dict(name="qwen3moe-top2-r4", model="qwen3moe-top2", seed=14, rank=4, alpha=4.0, targets=ALL_TARGETS),
]


def widths(cfg, target):
    d = cfg["hidden_size"]
    hd = M.head_dim_of(cfg)
    q = cfg["num_attention_heads"] * hd
    kv = cfg["num_key_value_heads"] * hd
    ff = cfg["intermediate_size"]
    return {"q_proj": (d, q), "k_proj": (d, kv), "v_proj": (d, kv), "o_proj": (q, d),
            "gate_proj": (d, ff), "up_proj": (d, ff), "down_proj": (ff, d)}[target]


def make_adapter(case, cfg):
    """module path -> (A, B) float32, A ~ U(-1/sqrt(in), 1/sqrt(in)) (PEFT's init), B ~ N(0, 0.1^2) (not zero)."""
    g = torch.Generator().manual_seed(case["seed"])
    r = case["rank"]
    out = {}
    for i in range(cfg["num_hidden_layers"]):
        for t in ALL_TARGETS:  # the block's order
            if t not in case["targets"] or (PARENT[t] == "mlp" and M.is_sparse_layer(cfg, i)):
                continue
            fan_in, fan_out = widths(cfg, t)
            bound = 1.0 / math.sqrt(fan_in)
            A = ((torch.rand((r, fan_in), generator=g, dtype=torch.float64) * 2 - 1) * bound).to(torch.float32)
            B = (torch.randn((fan_out, r), generator=g, dtype=torch.float64) * 0.1).to(torch.float32)
            out["model.layers.%d.%s.%s" % (i, PARENT[t], t)] = (A, B)
    return out


def adapter_config(case, model_name):
    # the keys PEFT's LoraConfig writes (peft 0.13+), with the values of this adapter
    return {
        "alpha_pattern": {},
        "auto_mapping": None,
        "base_model_name_or_path": "reference/model/" + model_name,
        "bias": "none",
        "fan_in_fan_out": False,
        "inference_mode": True,
        "init_lora_weights": True,
        "layer_replication": None,
        "layers_pattern": None,
        "layers_to_transform": None,
        "lora_alpha": case["alpha"],
        "lora_dropout": 0.0,
        "modules_to_save": None,
        "peft_type": "LORA",
        "r": case["rank"],
        "rank_pattern": {},
        "revision": None,
        "target_modules": sorted(case["targets"]),
        "task_type": "CAUSAL_LM",
        "use_dora": False,
        "use_rslora": False,
    }


def response_logprobs(cfg, W, seqs, temps, lora):
    out = []
    for (toks, k), T in zip(seqs, temps):
        logits = M.forward_full(cfg, W, toks, lora=lora)
        ls = torch.log_softmax(logits / T, dim=-1)
        out.append(torch.stack([ls[k - 1 + j, toks[k + j]] for j in range(len(toks) - k)]))
    return out


def run_case(case):
    model_dir = os.path.join(MODEL_ROOT, case["model"])
    with open(os.path.join(model_dir, "config.json")) as f:
        cfg = json.load(f)
    _, back = M.read_safetensors(os.path.join(model_dir, "model.safetensors"))
    W = {k: torch.from_numpy(v.astype(np.float64)) for k, v in back.items()}
    with open(os.path.join(model_dir, "expected.json")) as f:
        model_expected = json.load(f)
    seqs = [(s["tokens"], s["prompt_length"]) for s in model_expected["sequences"]]
    temps = [1.0 if i % 2 == 0 else 0.7 for i in range(len(seqs))]

    out_dir = os.path.join(OUT_ROOT, case["name"])
    os.makedirs(out_dir, exist_ok=True)
    adapter32 = make_adapter(case, cfg)
    tensors = {}
    for module, (A, B) in adapter32.items():
        tensors["base_model.model." + module + ".lora_A.weight"] = A
        tensors["base_model.model." + module + ".lora_B.weight"] = B
    st = os.path.join(out_dir, "adapter_model.safetensors")
    M.write_safetensors(st, tensors)
    M.dump_json(os.path.join(out_dir, "adapter_config.json"), adapter_config(case, case["model"]), indent=2)
    _, read_back = M.read_safetensors(st)
    assert sorted(read_back) == sorted(tensors)

    scale = case["alpha"] / case["rank"]
    params = {}
    modules = {}
    for module, (A, B) in adapter32.items():
        a = torch.from_numpy(read_back["base_model.model." + module + ".lora_A.weight"].astype(np.float64))
        b = torch.from_numpy(read_back["base_model.model." + module + ".lora_B.weight"].astype(np.float64))
        a.requires_grad_(True)
        b.requires_grad_(True)
        params[module + ".lora_A.weight"] = a
        params[module + ".lora_B.weight"] = b
        modules[module] = (a, b)
    lora = {"scale": scale, "modules": modules}

    rng = np.random.RandomState(case["seed"] + 1000)
    weights = [[float(c) for c in rng.randn(len(t) - k)] for t, k in seqs]
    lps = response_logprobs(cfg, W, seqs, temps, lora)
    loss = sum((torch.tensor(c, dtype=torch.float64) * lp).sum() for c, lp in zip(weights, lps))
    loss.backward()
    grads = {n: p.grad.detach().clone() for n, p in params.items()}

    with torch.no_grad():
        base = response_logprobs(cfg, W, seqs, temps, None)
        moved = max(float((a - b).abs().max()) for a, b in zip(lps, base))
        assert moved > 1e-2, (case["name"], "the adapter hardly moves the log-probs", moved)
        # merged weights give the same function
        Wm = dict(W)
        for module, (a, b) in modules.items():
            Wm[module + ".weight"] = W[module + ".weight"] + scale * (b @ a)
        for toks, _ in seqs:
            d = float((M.forward_full(cfg, Wm, toks) - M.forward_full(cfg, W, toks, lora=lora)).abs().max())
            assert d < 1e-10, (case["name"], "merge", d)
        # zero B: the base model
        zero = {"scale": scale, "modules": {m: (a, torch.zeros_like(b)) for m, (a, b) in modules.items()}}
        d = float((M.forward_full(cfg, W, seqs[0][0], lora=zero) - M.forward_full(cfg, W, seqs[0][0])).abs().max())
        assert d == 0.0, (case["name"], "zero B", d)

        # central finite differences on a few entries of A and B
        def loss_at():
            lp = response_logprobs(cfg, W, seqs, temps, lora)
            return float(sum((torch.tensor(c, dtype=torch.float64) * x).sum() for c, x in zip(weights, lp)))

        worst_fd = 0.0
        names = sorted(params)
        for n in (names[0], names[1], names[-2], names[-1]):
            p = params[n]
            for idx in [(0, 0), (p.shape[0] - 1, p.shape[1] - 1)]:
                h = 1e-6
                old = float(p[idx])
                p[idx] = old + h
                up = loss_at()
                p[idx] = old - h
                down = loss_at()
                p[idx] = old
                fd = (up - down) / (2 * h)
                g = float(grads[n][idx])
                worst_fd = max(worst_fd, abs(fd - g) / max(1.0, abs(g)))
        assert worst_fd < 1e-6, (case["name"], "finite differences", worst_fd)

    expected = {
        "case": case["name"],
        "model": case["model"],
        "rank": case["rank"],
        "alpha": case["alpha"],
        "targets": case["targets"],
        "sequences": [{"tokens": t, "prompt_length": k, "temperature": T,
                       "logprobs": [float(v) for v in lp], "loss_weights": c}
                      for (t, k), T, lp, c in zip(seqs, temps, lps, weights)],
        "loss": float(loss),
        "grads": {n: {"shape": list(g.shape), "values": [float(v) for v in g.flatten()]}
                  for n, g in grads.items()},
    }
    M.dump_json(os.path.join(out_dir, "expected.json"), expected)
    gmax = max(float(g.abs().max()) for g in grads.values())

    # Informational: how far the same math in float32 (PyTorch's own kernels) lands from this reference: the floor a
    # float32 implementation can reach. Gradients are compared relative to the largest gradient entry.
    W32 = {k: torch.from_numpy(v.copy()) for k, v in back.items()}
    p32 = {n: p.detach().float().clone().requires_grad_(True) for n, p in params.items()}
    lora32 = {"scale": scale, "modules": {m: (p32[m + ".lora_A.weight"], p32[m + ".lora_B.weight"]) for m in modules}}
    lp32 = []
    for (toks, k), T in zip(seqs, temps):
        ls = torch.log_softmax(M.forward_full(cfg, W32, toks, dtype=torch.float32, lora=lora32) / T, dim=-1)
        lp32.append(torch.stack([ls[k - 1 + j, toks[k + j]] for j in range(len(toks) - k)]))
    sum((torch.tensor(c, dtype=torch.float32) * x).sum() for c, x in zip(weights, lp32)).backward()
    f32_lp = max(float((a.double() - b.detach()).abs().max()) for a, b in zip(lp32, lps))
    f32_grad = max(float((p32[n].grad.double() - grads[n]).abs().max()) for n in grads) / gmax
    return dict(case=case["name"], tensors=len(tensors), moved=moved, fd=worst_fd, gmax=gmax, f32_lp=f32_lp,
                f32_grad=f32_grad,
                files={f: M.sha256(os.path.join(out_dir, f)) for f in sorted(os.listdir(out_dir))})


def main():
    torch.set_num_threads(1)
    rows = [run_case(c) for c in CASES]
    print("%-20s %8s %12s %12s %10s %12s %14s" % ("case", "tensors", "max|Δlogp|", "fd rel err", "max|grad|",
                                                 "f32 |Δlogp|", "f32 |Δg|/max|g|"))
    for r in rows:
        print("%-20s %8d %12.4f %12.1e %10.4f %12.1e %14.1e" % (
            r["case"], r["tensors"], r["moved"], r["fd"], r["gmax"], r["f32_lp"], r["f32_grad"]))
    print()
    for r in rows:
        for f, h in r["files"].items():
            print("%s  %s/%s" % (h, r["case"], f))
    return 0


if __name__ == "__main__":
    sys.exit(main())
