#!/usr/bin/python3
"""Independent float64 numerical reference for the project's decoder-only transformer.

Writes, for each case, a tiny Hugging Face style checkpoint (config.json, model.safetensors,
tokenizer.json) plus expected.json (reference logits / log-probs) under
common/src/test/resources/reference/model/<case>/.

The math is written from the Hugging Face definitions of LlamaForCausalLM,
Qwen2ForCausalLM, Qwen3ForCausalLM (per-head RMSNorm on q and k before RoPE, explicit head_dim)
and Qwen3MoeForCausalLM (sparse MoE MLP: softmax router, top-k, optional renormalisation,
decoder_sparse_step / mlp_only_layers), without importing transformers or safetensors. Everything is computed in
float64 from the float32-rounded weights that are stored in model.safetensors.

Run with Debian's python (it has torch + numpy):

    /usr/bin/python3 scripts/reference/make_model_reference.py

See scripts/reference/README-model.md.
"""

import hashlib
import json
import math
import os
import struct
import sys

import numpy as np
import torch

REPO_ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
OUT_ROOT = os.path.join(REPO_ROOT, "common", "src", "test", "resources", "reference", "model")

TEMPERATURES = [1.0, 0.7]
PAD_ID, BOS_ID, EOS_ID = 0, 1, 2
SPECIAL_TOKENS = ["<pad>", "<bos>", "<eos>"]

torch.set_num_threads(1)  # determinism of float64 reductions across runs

# --------------------------------------------------------------------------------------
# Cases
# --------------------------------------------------------------------------------------

CASES = [
    dict(name="llama-gqa", model_type="llama", seed=1001, vocab_size=64, hidden_size=64,
         intermediate_size=160, num_hidden_layers=2, num_attention_heads=4,
         num_key_value_heads=2, tie_word_embeddings=False, rope_theta=10000.0,
         rms_norm_eps=1e-6),
    dict(name="llama-tied", model_type="llama", seed=2002, vocab_size=48, hidden_size=32,
         intermediate_size=96, num_hidden_layers=2, num_attention_heads=4,
         num_key_value_heads=4, tie_word_embeddings=True, rope_theta=500000.0,
         rms_norm_eps=1e-5),
    dict(name="qwen2-gqa", model_type="qwen2", seed=3003, vocab_size=40, hidden_size=48,
         intermediate_size=128, num_hidden_layers=2, num_attention_heads=4,
         num_key_value_heads=1, tie_word_embeddings=True, rope_theta=1000000.0,
         rms_norm_eps=1e-6),
    dict(name="qwen2-untied", model_type="qwen2", seed=4004, vocab_size=56, hidden_size=64,
         intermediate_size=192, num_hidden_layers=2, num_attention_heads=4,
         num_key_value_heads=2, tie_word_embeddings=False, rope_theta=1000000.0,
         rms_norm_eps=1e-6),
    # head_dim 16 != hidden/heads = 12: the q/k/v/o shapes follow head_dim, not hidden_size
    dict(name="qwen3-headdim", model_type="qwen3", seed=5005, vocab_size=44, hidden_size=48,
         intermediate_size=112, num_hidden_layers=2, num_attention_heads=4,
         num_key_value_heads=2, head_dim=16, tie_word_embeddings=True, rope_theta=1000000.0,
         rms_norm_eps=1e-6),
    dict(name="qwen3-untied", model_type="qwen3", seed=6006, vocab_size=52, hidden_size=32,
         intermediate_size=96, num_hidden_layers=2, num_attention_heads=4,
         num_key_value_heads=1, head_dim=8, tie_word_embeddings=False, rope_theta=10000.0,
         rms_norm_eps=1e-6),
    # 3 layers, mlp_only_layers [1]: layers 0 and 2 sparse, layer 1 dense; top-2 of 8, renormalised
    dict(name="qwen3moe-top2", model_type="qwen3_moe", seed=7007, vocab_size=40, hidden_size=32,
         intermediate_size=80, num_hidden_layers=3, num_attention_heads=4,
         num_key_value_heads=2, head_dim=16, tie_word_embeddings=False, rope_theta=1000000.0,
         rms_norm_eps=1e-6, num_experts=8, num_experts_per_tok=2, moe_intermediate_size=24,
         norm_topk_prob=True, decoder_sparse_step=1, mlp_only_layers=[1]),
    # decoder_sparse_step 2: layer 0 dense, layer 1 sparse; top-3 of 6, not renormalised, tied
    dict(name="qwen3moe-step2", model_type="qwen3_moe", seed=8008, vocab_size=36, hidden_size=32,
         intermediate_size=64, num_hidden_layers=2, num_attention_heads=4,
         num_key_value_heads=4, head_dim=8, tie_word_embeddings=True, rope_theta=10000.0,
         rms_norm_eps=1e-6, num_experts=6, num_experts_per_tok=3, moe_intermediate_size=32,
         norm_topk_prob=False, decoder_sparse_step=2, mlp_only_layers=[]),
]

# (total length, prompt length, starts with <bos>)
SEQUENCE_SHAPES = [
    (24, 6, True),   # first sequence: longest, its full logits are dumped
    (10, 1, True),   # prompt of length 1 (just <bos>)
    (3, 2, True),    # shortest
    (16, 9, False),  # no <bos>
    (7, 1, False),   # prompt of length 1, no <bos>
    (20, 13, True),
]

MAX_POS = 64


QK_NORM_TYPES = ("qwen3", "qwen3_moe")
ARCHITECTURES = {"llama": "LlamaForCausalLM", "qwen2": "Qwen2ForCausalLM",
                 "qwen3": "Qwen3ForCausalLM", "qwen3_moe": "Qwen3MoeForCausalLM"}


def head_dim_of(cfg):
    return cfg.get("head_dim", cfg["hidden_size"] // cfg["num_attention_heads"])


# --------------------------------------------------------------------------------------
# Config / tokenizer
# --------------------------------------------------------------------------------------

def hf_config(case):
    mt = case["model_type"]
    cfg = {
        "architectures": [ARCHITECTURES[mt]],
        "model_type": mt,
        "vocab_size": case["vocab_size"],
        "hidden_size": case["hidden_size"],
        "intermediate_size": case["intermediate_size"],
        "num_hidden_layers": case["num_hidden_layers"],
        "num_attention_heads": case["num_attention_heads"],
        "num_key_value_heads": case["num_key_value_heads"],
        "hidden_act": "silu",
        "max_position_embeddings": MAX_POS,
        "rope_theta": case["rope_theta"],
        "rope_scaling": None,
        "rms_norm_eps": case["rms_norm_eps"],
        "tie_word_embeddings": case["tie_word_embeddings"],
        "bos_token_id": BOS_ID,
        "eos_token_id": EOS_ID,
        "attention_dropout": 0.0,
        "initializer_range": 0.02,
        "use_cache": True,
        "torch_dtype": "float32",
    }
    if mt == "llama":
        cfg["attention_bias"] = False
        cfg["mlp_bias"] = False
    elif mt in QK_NORM_TYPES:
        cfg["head_dim"] = case["head_dim"]
        cfg["attention_bias"] = False
        cfg["use_sliding_window"] = False
        cfg["sliding_window"] = None
        cfg["max_window_layers"] = case["num_hidden_layers"]
        if mt == "qwen3_moe":
            for key in ("num_experts", "num_experts_per_tok", "moe_intermediate_size",
                        "norm_topk_prob", "decoder_sparse_step", "mlp_only_layers"):
                cfg[key] = case[key]
            cfg["output_router_logits"] = False
            cfg["router_aux_loss_coef"] = 0.0
    else:
        # As in real Qwen2 configs; sliding window is disabled (and larger than any sequence).
        cfg["use_sliding_window"] = False
        cfg["sliding_window"] = MAX_POS
        cfg["max_window_layers"] = case["num_hidden_layers"]
    return cfg


def tokenizer_json(vocab_size):
    vocab = {}
    for i in range(vocab_size):
        vocab[SPECIAL_TOKENS[i] if i < len(SPECIAL_TOKENS) else "t%d" % i] = i
    added = [{"id": i, "content": s, "single_word": False, "lstrip": False, "rstrip": False,
              "normalized": False, "special": True} for i, s in enumerate(SPECIAL_TOKENS)]
    return {
        "version": "1.0",
        "truncation": None,
        "padding": None,
        "added_tokens": added,
        "normalizer": None,
        "pre_tokenizer": {"type": "WhitespaceSplit"},
        "post_processor": None,
        "decoder": None,
        "model": {"type": "WordLevel", "vocab": vocab, "unk_token": "<pad>"},
    }


# --------------------------------------------------------------------------------------
# Weights
# --------------------------------------------------------------------------------------

def is_sparse_layer(cfg, i):
    """HF Qwen3MoeDecoderLayer: sparse iff i not in mlp_only_layers, num_experts > 0 and
    (i + 1) % decoder_sparse_step == 0."""
    if cfg["model_type"] != "qwen3_moe":
        return False
    return (i not in cfg["mlp_only_layers"] and cfg["num_experts"] > 0
            and (i + 1) % cfg["decoder_sparse_step"] == 0)


def make_weights(case):
    """Random float32 weights (seeded). Returns dict name -> float32 torch tensor."""
    g = torch.Generator().manual_seed(case["seed"])
    V, d, I = case["vocab_size"], case["hidden_size"], case["intermediate_size"]
    nh, nkv = case["num_attention_heads"], case["num_key_value_heads"]
    hd = case.get("head_dim", d // nh)
    qwen = case["model_type"] == "qwen2"
    qk_norm = case["model_type"] in QK_NORM_TYPES

    def normal(shape, scale):
        return (torch.randn(shape, generator=g, dtype=torch.float64) * scale).to(torch.float32)

    def norm_w(n):
        return (1.0 + torch.randn(n, generator=g, dtype=torch.float64) * 0.1).to(torch.float32)

    # Linear weights scaled ~ 1/sqrt(fan_in) so activations stay O(1) independent of size.
    lin = lambda fan_in: 1.6 / math.sqrt(fan_in)
    w = {}
    # Tied models: the embedding doubles as lm_head, keep logits O(1-5).
    w["model.embed_tokens.weight"] = normal((V, d), 0.25 if case["tie_word_embeddings"] else 0.5)
    for i in range(case["num_hidden_layers"]):
        p = "model.layers.%d." % i
        w[p + "input_layernorm.weight"] = norm_w(d)
        w[p + "self_attn.q_proj.weight"] = normal((nh * hd, d), lin(d))
        w[p + "self_attn.k_proj.weight"] = normal((nkv * hd, d), lin(d))
        w[p + "self_attn.v_proj.weight"] = normal((nkv * hd, d), lin(d))
        if qwen:
            w[p + "self_attn.q_proj.bias"] = normal((nh * hd,), 0.2)
            w[p + "self_attn.k_proj.bias"] = normal((nkv * hd,), 0.2)
            w[p + "self_attn.v_proj.bias"] = normal((nkv * hd,), 0.2)
        if qk_norm:
            # wider spread than the other norms: a wrong or missing q/k norm must move the logits visibly
            w[p + "self_attn.q_norm.weight"] = (1.0 + torch.randn(hd, generator=g, dtype=torch.float64)
                                                * 0.4).to(torch.float32)
            w[p + "self_attn.k_norm.weight"] = (1.0 + torch.randn(hd, generator=g, dtype=torch.float64)
                                                * 0.4).to(torch.float32)
        w[p + "self_attn.o_proj.weight"] = normal((d, nh * hd), lin(nh * hd) * 0.6)
        w[p + "post_attention_layernorm.weight"] = norm_w(d)
        if is_sparse_layer(case, i):
            E, mi = case["num_experts"], case["moe_intermediate_size"]
            # a sharp router (logits of a few units) keeps every top-k decision clear of ties
            w[p + "mlp.gate.weight"] = normal((E, d), 3.0 / math.sqrt(d))
            for e in range(E):
                x = p + "mlp.experts.%d." % e
                w[x + "gate_proj.weight"] = normal((mi, d), lin(d))
                w[x + "up_proj.weight"] = normal((mi, d), lin(d))
                w[x + "down_proj.weight"] = normal((d, mi), lin(mi) * 0.9)
        else:
            w[p + "mlp.gate_proj.weight"] = normal((I, d), lin(d))
            w[p + "mlp.up_proj.weight"] = normal((I, d), lin(d))
            w[p + "mlp.down_proj.weight"] = normal((d, I), lin(I) * 0.6)
    w["model.norm.weight"] = norm_w(d)
    if not case["tie_word_embeddings"]:
        w["lm_head.weight"] = normal((V, d), 0.18)
    return w


# --------------------------------------------------------------------------------------
# safetensors writer / reader (hand written)
# --------------------------------------------------------------------------------------

def write_safetensors(path, tensors):
    names = sorted(tensors)
    header = {"__metadata__": {"format": "pt"}}
    offset = 0
    blobs = []
    for n in names:
        a = tensors[n].detach().cpu().numpy().astype("<f4", copy=False)
        b = np.ascontiguousarray(a).tobytes()
        header[n] = {"dtype": "F32", "shape": list(a.shape), "data_offsets": [offset, offset + len(b)]}
        offset += len(b)
        blobs.append(b)
    hj = json.dumps(header, separators=(",", ":")).encode("utf-8")
    hj += b" " * ((8 - len(hj) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(hj)))
        f.write(hj)
        for b in blobs:
            f.write(b)


def read_safetensors(path):
    with open(path, "rb") as f:
        data = f.read()
    (n,) = struct.unpack("<Q", data[:8])
    assert n % 8 == 0, "header not padded to 8"
    header = json.loads(data[8:8 + n].decode("utf-8"))
    base = 8 + n
    out = {}
    prev_end = 0
    keys = [k for k in header if k != "__metadata__"]
    assert keys == sorted(keys), "tensors not in sorted order"
    for k in keys:
        meta = header[k]
        assert meta["dtype"] == "F32"
        s, e = meta["data_offsets"]
        assert s == prev_end, "tensors not contiguous"
        prev_end = e
        arr = np.frombuffer(data[base + s:base + e], dtype="<f4").reshape(meta["shape"])
        out[k] = arr
    assert base + prev_end == len(data), "trailing bytes"
    return header.get("__metadata__"), out


# --------------------------------------------------------------------------------------
# Path A: batched full-sequence forward (HF style: rotate_half, repeat_kv, causal mask)
# --------------------------------------------------------------------------------------

def rms_norm(x, w, eps):
    var = (x * x).mean(-1, keepdim=True)
    return w * (x * torch.rsqrt(var + eps))


def rotate_half(x):
    h = x.shape[-1] // 2
    return torch.cat((-x[..., h:], x[..., :h]), dim=-1)


def rope_cos_sin(T, hd, theta, dtype=torch.float64):
    inv_freq = 1.0 / (theta ** (torch.arange(0, hd, 2, dtype=torch.int64).to(dtype) / hd))
    pos = torch.arange(T, dtype=dtype)
    freqs = torch.outer(pos, inv_freq)            # [T, hd/2]
    emb = torch.cat((freqs, freqs), dim=-1)       # [T, hd]
    return emb.cos(), emb.sin()


def repeat_kv(x, n_rep):
    # x: [nkv, T, hd] -> [nkv*n_rep, T, hd]; kv head j serves q heads j*n_rep .. j*n_rep+n_rep-1
    if n_rep == 1:
        return x
    nkv, T, hd = x.shape
    return x[:, None, :, :].expand(nkv, n_rep, T, hd).reshape(nkv * n_rep, T, hd)


def linear(x, w, b=None):
    y = x @ w.T
    return y if b is None else y + b


def moe_full(cfg, W, p, h, trace, layer):
    """Qwen3MoeSparseMoeBlock on h [T, d]: softmax router, top-k, optional renormalisation,
    each expert applied to the tokens routed to it. `trace` (dict or None) collects per layer the
    router-probability gap between the k-th and (k+1)-th expert of every token (tie check)."""
    E, k = cfg["num_experts"], cfg["num_experts_per_tok"]
    probs = torch.softmax(linear(h, W[p + "mlp.gate.weight"]), dim=-1)      # [T, E]
    top_w, top_i = torch.topk(probs, k, dim=-1)                              # [T, k]
    if cfg["norm_topk_prob"]:
        top_w = top_w / top_w.sum(dim=-1, keepdim=True)
    if trace is not None and k < E:
        sorted_p = torch.sort(probs, dim=-1, descending=True).values
        trace.setdefault(layer, []).append(float((sorted_p[:, k - 1] - sorted_p[:, k]).min()))
        trace.setdefault("experts", {}).setdefault(layer, []).append(top_i.tolist())
    out = torch.zeros_like(h)
    for e in range(E):
        rows, slot = torch.nonzero(top_i == e, as_tuple=True)
        if rows.numel() == 0:
            continue
        x = p + "mlp.experts.%d." % e
        he = h[rows]
        y = linear(torch.nn.functional.silu(linear(he, W[x + "gate_proj.weight"]))
                   * linear(he, W[x + "up_proj.weight"]), W[x + "down_proj.weight"])
        out.index_add_(0, rows, top_w[rows, slot].unsqueeze(-1) * y)
    return out


def forward_full(cfg, W, tokens, dtype=torch.float64, trace=None, lora=None):
    """Logits [T, V] for a token list. W: name -> tensor (already in `dtype`).

    lora (optional, make_lora_reference.py): {"scale": alpha / r, "modules": {module path: (A [r, in], B [out, r])}};
    each adapted linear layer computes x W^T + b + scale * (x A^T) B^T (PEFT's LoRA Linear, dropout 0). The experts
    of sparse layers are never adapted."""

    def proj(x, module):
        y = linear(x, W[module + ".weight"], W.get(module + ".bias"))
        if lora is not None and module in lora["modules"]:
            A, B = lora["modules"][module]
            y = y + lora["scale"] * ((x @ A.T) @ B.T)
        return y

    d = cfg["hidden_size"]
    nh, nkv = cfg["num_attention_heads"], cfg["num_key_value_heads"]
    hd = head_dim_of(cfg)
    eps = cfg["rms_norm_eps"]
    T = len(tokens)
    ids = torch.tensor(tokens, dtype=torch.long)
    x = W["model.embed_tokens.weight"][ids]                    # [T, d]
    cos, sin = rope_cos_sin(T, hd, cfg["rope_theta"], dtype)
    mask = torch.full((T, T), float("-inf"), dtype=dtype).triu(1)
    for i in range(cfg["num_hidden_layers"]):
        p = "model.layers.%d." % i
        h = rms_norm(x, W[p + "input_layernorm.weight"], eps)
        q = proj(h, p + "self_attn.q_proj")
        k = proj(h, p + "self_attn.k_proj")
        v = proj(h, p + "self_attn.v_proj")
        q = q.view(T, nh, hd)
        k = k.view(T, nkv, hd)
        if cfg["model_type"] in QK_NORM_TYPES:                 # per head, over hd, before RoPE
            q = rms_norm(q, W[p + "self_attn.q_norm.weight"], eps)
            k = rms_norm(k, W[p + "self_attn.k_norm.weight"], eps)
        q = q.transpose(0, 1)                                  # [nh, T, hd]
        k = k.transpose(0, 1)                                  # [nkv, T, hd]
        v = v.view(T, nkv, hd).transpose(0, 1)
        q = q * cos + rotate_half(q) * sin
        k = k * cos + rotate_half(k) * sin
        k = repeat_kv(k, nh // nkv)
        v = repeat_kv(v, nh // nkv)
        scores = q @ k.transpose(-1, -2) / math.sqrt(hd) + mask
        probs = torch.softmax(scores, dim=-1)
        a = (probs @ v).transpose(0, 1).reshape(T, nh * hd)
        x = x + proj(a, p + "self_attn.o_proj")
        h = rms_norm(x, W[p + "post_attention_layernorm.weight"], eps)
        if is_sparse_layer(cfg, i):
            x = x + moe_full(cfg, W, p, h, trace, i)
        else:
            g = proj(h, p + "mlp.gate_proj")
            u = proj(h, p + "mlp.up_proj")
            x = x + proj(torch.nn.functional.silu(g) * u, p + "mlp.down_proj")
    x = rms_norm(x, W["model.norm.weight"], eps)
    lm = W["model.embed_tokens.weight"] if cfg["tie_word_embeddings"] else W["lm_head.weight"]
    return x @ lm.T


# --------------------------------------------------------------------------------------
# Path B: independent incremental forward, one token at a time, explicit KV lists,
# per-head loops, rotary applied as explicit (i, i+hd/2) pairs with math.cos/math.sin.
# --------------------------------------------------------------------------------------

def forward_incremental(cfg, Wn, tokens):
    """Wn: name -> float64 numpy array. Returns logits [T, V] as numpy."""
    nh, nkv = cfg["num_attention_heads"], cfg["num_key_value_heads"]
    hd = head_dim_of(cfg)
    half = hd // 2
    eps = cfg["rms_norm_eps"]
    L = cfg["num_hidden_layers"]
    group = nh // nkv
    theta = cfg["rope_theta"]

    def rms(v, w):
        return w * v / math.sqrt(float(np.dot(v, v)) / v.shape[0] + eps)

    def silu(z):
        return z / (1.0 + np.exp(-z))

    def rope(vec, pos):
        out = np.empty_like(vec)
        for i in range(half):
            ang = pos * (theta ** (-(2.0 * i) / hd))
            c, s = math.cos(ang), math.sin(ang)
            a, b = vec[i], vec[i + half]
            out[i] = a * c - b * s
            out[i + half] = b * c + a * s
        return out

    def lin(w, v, b=None):
        y = np.array([float(np.dot(w[r], v)) for r in range(w.shape[0])])
        return y if b is None else y + b

    keys = [[[] for _ in range(nkv)] for _ in range(L)]    # keys[layer][kv_head] -> list of vec
    vals = [[[] for _ in range(nkv)] for _ in range(L)]
    logits = []
    lm = Wn["model.embed_tokens.weight"] if cfg["tie_word_embeddings"] else Wn["lm_head.weight"]
    for pos, tok in enumerate(tokens):
        x = Wn["model.embed_tokens.weight"][tok].copy()
        for l in range(L):
            p = "model.layers.%d." % l
            h = rms(x, Wn[p + "input_layernorm.weight"])
            q = lin(Wn[p + "self_attn.q_proj.weight"], h, Wn.get(p + "self_attn.q_proj.bias"))
            k = lin(Wn[p + "self_attn.k_proj.weight"], h, Wn.get(p + "self_attn.k_proj.bias"))
            v = lin(Wn[p + "self_attn.v_proj.weight"], h, Wn.get(p + "self_attn.v_proj.bias"))
            qk_norm = cfg["model_type"] in QK_NORM_TYPES
            if qk_norm:
                qn, kn = Wn[p + "self_attn.q_norm.weight"], Wn[p + "self_attn.k_norm.weight"]
            for j in range(nkv):
                kj = k[j * hd:(j + 1) * hd]
                keys[l][j].append(rope(rms(kj, kn) if qk_norm else kj, pos))
                vals[l][j].append(v[j * hd:(j + 1) * hd].copy())
            att = np.zeros(nh * hd)
            for hh in range(nh):
                qh = q[hh * hd:(hh + 1) * hd]
                qh = rope(rms(qh, qn) if qk_norm else qh, pos)
                j = hh // group
                sc = [float(np.dot(qh, kk)) / math.sqrt(hd) for kk in keys[l][j]]
                m = max(sc)
                e = [math.exp(s - m) for s in sc]
                z = sum(e)
                o = np.zeros(hd)
                for wgt, vv in zip(e, vals[l][j]):
                    o += (wgt / z) * vv
                att[hh * hd:(hh + 1) * hd] = o
            x = x + lin(Wn[p + "self_attn.o_proj.weight"], att)
            h = rms(x, Wn[p + "post_attention_layernorm.weight"])
            if is_sparse_layer(cfg, l):
                # per token: softmax by hand, experts sorted by probability, a plain weighted sum
                z = lin(Wn[p + "mlp.gate.weight"], h)
                ez = np.exp(z - z.max())
                pr = ez / ez.sum()
                chosen = sorted(range(len(pr)), key=lambda e: -pr[e])[:cfg["num_experts_per_tok"]]
                total = sum(pr[e] for e in chosen) if cfg["norm_topk_prob"] else 1.0
                for e in chosen:
                    xp = p + "mlp.experts.%d." % e
                    g = lin(Wn[xp + "gate_proj.weight"], h)
                    u = lin(Wn[xp + "up_proj.weight"], h)
                    x = x + (pr[e] / total) * lin(Wn[xp + "down_proj.weight"], silu(g) * u)
            else:
                g = lin(Wn[p + "mlp.gate_proj.weight"], h)
                u = lin(Wn[p + "mlp.up_proj.weight"], h)
                x = x + lin(Wn[p + "mlp.down_proj.weight"], silu(g) * u)
        x = rms(x, Wn["model.norm.weight"])
        logits.append(lin(lm, x))
    return np.stack(logits)


# --------------------------------------------------------------------------------------
# GQA -> MHA equivalence
# --------------------------------------------------------------------------------------

def to_mha(cfg, W):
    nh, nkv = cfg["num_attention_heads"], cfg["num_key_value_heads"]
    hd = head_dim_of(cfg)
    rep = nh // nkv
    cfg2 = dict(cfg, num_key_value_heads=nh)
    W2 = dict(W)
    for i in range(cfg["num_hidden_layers"]):
        for nm in ("k_proj", "v_proj"):
            key = "model.layers.%d.self_attn.%s.weight" % (i, nm)
            w = W[key].view(nkv, hd, -1)
            W2[key] = w.repeat_interleave(rep, dim=0).reshape(nh * hd, -1)
            bkey = "model.layers.%d.self_attn.%s.bias" % (i, nm)
            if bkey in W:
                W2[bkey] = W[bkey].view(nkv, hd).repeat_interleave(rep, dim=0).reshape(nh * hd)
    return cfg2, W2


# --------------------------------------------------------------------------------------
# Main
# --------------------------------------------------------------------------------------

GREEDY_SHAPE = (14, 4)  # (total length, prompt length): response = greedy continuation


def make_sequences(case, cfg, W):
    """List of (tokens, prompt_length, greedy). The last one is a greedy continuation, so its
    response log-probs are high (it exercises the non-tail of the distribution)."""
    rng = np.random.RandomState(case["seed"] + 17)
    V = case["vocab_size"]
    seqs = []
    for T, k, bos in SEQUENCE_SHAPES:
        toks = [int(t) for t in rng.randint(3, V, size=T)]
        if bos:
            toks[0] = BOS_ID
        seqs.append((toks, k, False))
    # an <eos> as the last response token of the 4th sequence (models do emit it)
    seqs[3][0][-1] = EOS_ID
    T, k = GREEDY_SHAPE
    toks = [BOS_ID] + [int(t) for t in rng.randint(3, V, size=k - 1)]
    while len(toks) < T:
        last = forward_full(cfg, W, toks)[-1]
        top2 = torch.topk(last, 2).values
        # a float32 implementation must pick the same argmax
        assert float(top2[0] - top2[1]) > 1e-3, (case["name"], "greedy near-tie")
        toks.append(int(torch.argmax(last)))
    seqs.append((toks, k, True))
    return seqs


def dump_json(path, obj, indent=None):
    with open(path, "w", encoding="utf-8") as f:
        json.dump(obj, f, indent=indent, ensure_ascii=False, allow_nan=False)
        f.write("\n")


def sha256(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def run_case(case):
    out_dir = os.path.join(OUT_ROOT, case["name"])
    os.makedirs(out_dir, exist_ok=True)
    cfg = hf_config(case)
    W32 = make_weights(case)
    n_params = sum(t.numel() for t in W32.values())

    st_path = os.path.join(out_dir, "model.safetensors")
    write_safetensors(st_path, W32)
    dump_json(os.path.join(out_dir, "config.json"), cfg, indent=2)
    dump_json(os.path.join(out_dir, "tokenizer.json"), tokenizer_json(case["vocab_size"]), indent=2)

    # Self-check 1: the file reads back to identical float32 arrays.
    meta, back = read_safetensors(st_path)
    assert meta == {"format": "pt"}
    assert sorted(back) == sorted(W32)
    for k, t in W32.items():
        a = t.numpy()
        assert back[k].shape == a.shape and back[k].dtype == np.float32
        assert np.array_equal(back[k].view(np.uint32), a.view(np.uint32)), k
    if cfg["tie_word_embeddings"]:
        assert "lm_head.weight" not in back
    if cfg["model_type"] != "qwen2":
        assert not any(k.endswith(".bias") for k in back)
    else:
        assert all(("model.layers.%d.self_attn.%s_proj.bias" % (i, n)) in back
                   for i in range(cfg["num_hidden_layers"]) for n in "qkv")
        assert not any(k.endswith("o_proj.bias") for k in back)

    # Reference computation uses the float32 values read back from the file, in float64.
    W = {k: torch.from_numpy(v.astype(np.float64)) for k, v in back.items()}
    Wn = {k: v.astype(np.float64) for k, v in back.items()}
    W32t = {k: torch.from_numpy(v.copy()) for k, v in back.items()}

    seqs = make_sequences(case, cfg, W)
    seq_out = []
    max_abs_logit = 0.0
    lp_min, lp_max = float("inf"), float("-inf")
    max_incr_diff = 0.0
    max_f32_diff = 0.0
    first_logits = None
    cfg_mha, W_mha = to_mha(cfg, W)
    traces = []
    for si, (toks, k, greedy) in enumerate(seqs):
        trace = {}
        logits = forward_full(cfg, W, toks, trace=trace)       # [T, V] float64
        traces.append(trace)
        # Self-check 2: independent incremental KV-cache path.
        inc = forward_incremental(cfg, Wn, toks)
        diff = float(np.abs(inc - logits.numpy()).max())
        assert diff < 1e-10, (case["name"], si, diff)
        max_incr_diff = max(max_incr_diff, diff)
        # Self-check 3: GQA == MHA with duplicated kv weights.
        mha = forward_full(cfg_mha, W_mha, toks)
        gdiff = float((mha - logits).abs().max())
        assert gdiff < 1e-12, (case["name"], si, gdiff)
        # Self-check 4 (prefix consistency): causal -> logits of a prefix equal the prefix
        # of the logits.
        pre = forward_full(cfg, W, toks[:k])
        assert float((pre - logits[:k]).abs().max()) < 1e-12
        # Informational: what a float32 evaluation of the same math deviates by.
        l32 = forward_full(cfg, W32t, toks, dtype=torch.float32).double()
        max_f32_diff = max(max_f32_diff, float((l32 - logits).abs().max()))

        max_abs_logit = max(max_abs_logit, float(logits.abs().max()))
        lps = {}
        for T in TEMPERATURES:
            ls = torch.log_softmax(logits / T, dim=-1)
            vals = [float(ls[k - 1 + j, toks[k + j]]) for j in range(len(toks) - k)]
            assert len(vals) == len(toks) - k
            lps[repr(T)] = vals
            lp_min = min(lp_min, min(vals))
            lp_max = max(lp_max, max(vals))
        seq_out.append({"tokens": toks, "prompt_length": k, "greedy": greedy, "logprobs": lps})
        if si == 0:
            first_logits = logits

    # Self-check 6 (MoE): every top-k decision is clear of ties, so a float32 implementation
    # must route every token as the reference does.
    min_gap = min((g for t in traces for key, gs in t.items() if key != "experts" for g in gs),
                  default=float("nan"))
    if cfg["model_type"] == "qwen3_moe":
        assert min_gap > 1e-4, (case["name"], "router near-tie", min_gap)
    expected = {
        "case": case["name"],
        "model_type": cfg["model_type"],
        "vocab_size": cfg["vocab_size"],
        "temperature_cases": TEMPERATURES,
        "sequences": seq_out,
        "logits_first_sequence": [[float(v) for v in row] for row in first_logits],
        "logprobs_all_positions_first_sequence":
            [[float(v) for v in row] for row in torch.log_softmax(first_logits, dim=-1)],
    }
    if cfg["model_type"] == "qwen3_moe":
        # experts of every token of the first sequence, per sparse layer, descending probability
        expected["experts_first_sequence"] = {
            str(layer): ids[0] for layer, ids in sorted(traces[0]["experts"].items())}
    dump_json(os.path.join(out_dir, "expected.json"), expected)

    # Sanity on scale: logits not saturated and not uniform.
    std = float(first_logits.std(dim=-1).mean())
    assert 0.5 < std and max_abs_logit < 8.0, (case["name"], std, max_abs_logit)

    return dict(case=case["name"], params=n_params, max_logit=max_abs_logit, std=std,
                lp_min=lp_min, lp_max=lp_max, incr=max_incr_diff, f32=max_f32_diff, gap=min_gap,
                files={f: sha256(os.path.join(out_dir, f)) for f in sorted(os.listdir(out_dir))})


def main():
    rows = [run_case(c) for c in CASES]
    print("%-16s %7s %10s %10s %24s %10s %10s %10s" % (
        "case", "params", "max|logit|", "logit std", "logprob range", "incr diff", "f32 diff",
        "router gap"))
    for r in rows:
        print("%-16s %7d %10.4f %10.4f %11.4f .. %9.4f %10.1e %10.1e %10.1e" % (
            r["case"], r["params"], r["max_logit"], r["std"], r["lp_min"], r["lp_max"],
            r["incr"], r["f32"], r["gap"]))
    print()
    for r in rows:
        for f, h in r["files"].items():
            print("%s  %s/%s" % (h, r["case"], f))
    return 0


if __name__ == "__main__":
    sys.exit(main())
