#!/usr/bin/python3
"""Golden vectors for the GSPO / GSPO-token / GRPO objective and the group advantages.

An independent, deliberately plain implementation of the formulas of docs/ALGORITHM.md
(sections 2-6, 8, 10, 13): Python loops over sequences and valid tokens, float64,
gradients from torch autograd. It is the control for dev.gspo.common.objective;
do not "optimise" it into tensor code that mirrors the Java.

Run with Debian's interpreter (python3-torch 1.13 + numpy), from the repository root:

    /usr/bin/python3 scripts/reference/make_gspo_reference.py

It rewrites common/src/test/resources/reference/gspo/*.json. Output is deterministic
(fixed seeds), so a regenerated file only changes when this script changes.

Conventions shared with the Java side (documented there too):
- a log-ratio (GSPO: the per-sequence mean; GRPO: per token; k3: ref - new) is clamped
  to [-20, 20] before exp;
- masked positions (mask 0 = prompt or padding) hold garbage (NaN, -inf, +-1e4) in the
  inputs: they must not influence anything;
- inputs are rounded to float32 first, so that Java, which computes in float32, sees
  exactly the values this script computed with.
"""
import json
import math
import pathlib

import numpy as np
import torch

CLAMP = 20.0
OUT = pathlib.Path(__file__).resolve().parents[2] / "common/src/test/resources/reference/gspo"
GSPO_PAPER = (3e-4, 4e-4)
GRPO_PAPER = (0.2, 0.27)
# ratios closer than this to a clip bound would make the float32 and float64 clip decisions
# fragile: such draws are rejected
MARGIN = 5e-6


def f32(a):
    return np.asarray(a, dtype=np.float32).astype(np.float64)


# ---------------------------------------------------------------- the objective, loop by loop

def valid_tokens(mask_row):
    return [t for t, m in enumerate(mask_row) if m != 0]


def advantage(adv, i, t):
    """Â_{i,t}: per-token advantages if given as rows, else the sequence's Â_i."""
    return adv[i][t] if isinstance(adv[i], list) else adv[i]


def clipped_term(ratio, a, eps_low, eps_high):
    """min(r·Â, clip(r, 1−ε_low, 1+ε_high)·Â)."""
    return torch.minimum(ratio * a, torch.clamp(ratio, 1 - eps_low, 1 + eps_high) * a)


def sequence_ratio(new, old, i, toks):
    """s_i = exp(clamp((1/|y_i|) Σ_t (new − old), ±20))."""
    total = 0
    for t in toks:
        total = total + (new[i, t] - old[i, t])
    return torch.exp(torch.clamp(total / len(toks), -CLAMP, CLAMP))


def loss_fn(case, new):
    """The loss −J (+ β·KL) as a 0-dim tensor, plus the ratios the clip rule sees."""
    mode, mask, adv = case["mode"], case["mask"], case["advantages"]
    old = torch.tensor(case["oldLogprobs"])
    ref = torch.tensor(case["refLogprobs"]) if case.get("refLogprobs") is not None else None
    el, eh, beta = case["clipLow"], case["clipHigh"], case["klBeta"]
    B = len(mask)
    objective, kl_sum, ratios = 0, 0, []
    for i in range(B):
        toks = valid_tokens(mask[i])
        n = len(toks)
        if mode == "gspo":
            s = sequence_ratio(new, old, i, toks)
            j_i = clipped_term(s, advantage(adv, i, None), el, eh)
            ratios.append({t: s.item() for t in toks})
        elif mode == "gspo-token":
            s = sequence_ratio(new, old, i, toks).detach()          # sg[s_i]
            j_i = 0
            for t in toks:
                s_it = s * torch.exp(new[i, t] - new[i, t].detach())  # sg[s_i]·π_θ/sg[π_θ]
                j_i = j_i + clipped_term(s_it, advantage(adv, i, t), el, eh)
            j_i = j_i / n
            ratios.append({t: s.item() for t in toks})
        elif mode == "grpo":
            j_i, row = 0, {}
            for t in toks:
                w = torch.exp(torch.clamp(new[i, t] - old[i, t], -CLAMP, CLAMP))
                j_i = j_i + clipped_term(w, advantage(adv, i, t), el, eh)
                row[t] = w.item()
            j_i = j_i / n
            ratios.append(row)
        else:
            raise ValueError(mode)
        objective = objective + j_i
        if ref is not None:
            k = 0
            for t in toks:
                u = torch.clamp(ref[i, t] - new[i, t], -CLAMP, CLAMP)
                k = k + (torch.exp(u) - u - 1)                       # k3
            kl_sum = kl_sum + k / n
    loss = -objective / B
    kl = kl_sum / B if ref is not None else None
    if ref is not None and beta > 0:
        loss = loss + beta * kl
    return loss, kl, ratios


def diagnostics(case, ratios, loss, kl):
    mask, adv, el, eh = case["mask"], case["advantages"], case["clipLow"], case["clipHigh"]
    new, old = case["newLogprobs"], case["oldLogprobs"]
    B = len(mask)
    seq_low = seq_high = tok_low = tok_high = 0.0
    tokens, old_minus_new = 0, 0.0
    for i in range(B):
        toks = valid_tokens(mask[i])
        low = high = 0
        for t in toks:
            r, a = ratios[i][t], advantage(adv, i, t)
            if a > 0 and r > 1 + eh:
                high += 1
            if a < 0 and r < 1 - el:
                low += 1
            old_minus_new += old[i][t] - new[i][t]
        tokens += len(toks)
        tok_low, tok_high = tok_low + low, tok_high + high
        seq_low, seq_high = seq_low + low / len(toks), seq_high + high / len(toks)
    if case["mode"] == "grpo":
        seen = [r for row in ratios for r in row.values()]
    else:
        seen = [next(iter(row.values())) for row in ratios]
    return {
        "loss": loss,
        "clipSequence": {"low": seq_low / B, "high": seq_high / B, "total": (seq_low + seq_high) / B},
        "clipToken": {"low": tok_low / tokens, "high": tok_high / tokens, "total": (tok_low + tok_high) / tokens},
        "ratio": {"mean": sum(seen) / len(seen), "min": min(seen), "max": max(seen)},
        "approxKl": old_minus_new / tokens,
        "klToRef": kl if kl is not None else None,
        "meanResponseLength": tokens / B,
        "sequences": B,
        "tokens": tokens,
    }


def near_bound(case, ratios):
    el, eh = case["clipLow"], case["clipHigh"]
    return any(min(abs(r - (1 - el)), abs(r - (1 + eh))) < MARGIN for row in ratios for r in row.values())


def evaluate(case):
    new = torch.tensor(case["newLogprobs"], requires_grad=True)
    loss, kl, ratios = loss_fn(case, new)
    loss.backward()
    grad = new.grad.tolist()
    diag = diagnostics(case, ratios, loss.item(), kl.item() if kl is not None else None)
    return {"loss": loss.item(), "grad": grad, "diagnostics": diag}, ratios


# ---------------------------------------------------------------- random batches

GARBAGE = [float("nan"), float("-inf"), 1e4, -1e4, 123.0]


def random_case(rng, name, mode, clip, B, T, seq_scale, tok_scale, per_token_adv=False, beta=0.0,
                with_ref=False):
    mask, new, old, ref = [], [], [], []
    for i in range(B):
        prompt = int(rng.integers(0, 3))                        # leading prompt positions
        n = int(rng.integers(1, T - prompt + 1))                # valid response tokens
        row = [0] * prompt + [1] * n + [0] * (T - prompt - n)
        mask.append(row)
        o = f32(rng.uniform(-5.0, -0.05, T))
        offset = rng.normal(0.0, seq_scale)
        nw = f32(o + offset + rng.normal(0.0, tok_scale, T))
        rf = f32(o + rng.normal(0.0, 0.3, T))
        for t in range(T):
            if row[t] == 0:                                     # garbage where masked
                o[t] = GARBAGE[int(rng.integers(len(GARBAGE)))]
                nw[t] = GARBAGE[int(rng.integers(len(GARBAGE)))]
                rf[t] = GARBAGE[int(rng.integers(len(GARBAGE)))]
        old.append(o.tolist())
        new.append(nw.tolist())
        ref.append(rf.tolist())
    if per_token_adv:
        adv = []
        for i in range(B):
            a = f32(rng.normal(0.0, 1.0, T))
            a[rng.random(T) < 0.15] = 0.0
            adv.append([x if mask[i][t] else GARBAGE[int(rng.integers(len(GARBAGE)))] for t, x in enumerate(a.tolist())])
    else:
        adv = f32(rng.normal(0.0, 1.0, B))
        adv[0] = 0.0                                            # a zero-variance sample
        adv = adv.tolist()
    return {
        "name": name, "mode": mode, "clipLow": clip[0], "clipHigh": clip[1], "klBeta": beta,
        "logRatioClamp": CLAMP, "mask": mask, "newLogprobs": new, "oldLogprobs": old,
        "advantages": adv, "refLogprobs": ref if with_ref else None,
    }


def make_case(seed, *, need_both_sides=True, **kw):
    """Draws until the clip rule fires on both sides (if asked) and no ratio is near a bound."""
    for attempt in range(1000):
        rng = np.random.default_rng([seed, attempt])
        case = random_case(rng, **kw)
        expected, ratios = evaluate(case)
        clip = expected["diagnostics"]["clipToken"]
        if near_bound(case, ratios):
            continue
        if need_both_sides and not (clip["low"] > 0 and clip["high"] > 0):
            continue
        case["expected"] = expected
        return case
    raise RuntimeError("no acceptable draw for " + kw["name"])


def worked_example():
    """docs/ALGORITHM.md §13: loss −0.6057."""
    nan = float("nan")
    case = {
        "name": "worked_example_gspo_md_7", "mode": "gspo-token", "clipLow": 0.2, "clipHigh": 0.2,
        "klBeta": 0.0, "logRatioClamp": CLAMP, "mask": [[1, 1, 1, 0]],
        "newLogprobs": f32([[-1.69315, -1.0, -0.59453, float("-inf")]]).tolist(),
        "oldLogprobs": [[-1.0, -1.0, -1.0, nan]],
        "advantages": [[1.0, -1.0, 2.0, nan]], "refLogprobs": None,
    }
    case["expected"], _ = evaluate(case)
    assert abs(case["expected"]["loss"] - (-0.6057)) < 1e-4, case["expected"]["loss"]
    return case


def cases():
    yield worked_example()
    common = dict(B=8, T=12)
    yield make_case(1, name="gspo_paper_clip", mode="gspo", clip=GSPO_PAPER, seq_scale=3e-4, tok_scale=2e-4, **common)
    yield make_case(2, name="gspo_grpo_range", mode="gspo", clip=GRPO_PAPER, seq_scale=0.3, tok_scale=0.2, **common)
    yield make_case(3, name="gspo_asymmetric", mode="gspo", clip=(0.05, 0.3), seq_scale=0.25, tok_scale=0.1, **common)
    yield make_case(4, name="gspo_no_clipping", mode="gspo", clip=(0.9, 5.0), seq_scale=0.2, tok_scale=0.1,
                    need_both_sides=False, **common)
    yield make_case(5, name="gspo_token_paper_clip_token_adv", mode="gspo-token", clip=GSPO_PAPER,
                    seq_scale=5e-4, tok_scale=2e-4, per_token_adv=True, **common)
    yield make_case(6, name="gspo_token_wide_token_adv", mode="gspo-token", clip=(0.1, 0.15),
                    seq_scale=0.2, tok_scale=0.1, per_token_adv=True, **common)
    yield make_case(7, name="gspo_token_sequence_adv", mode="gspo-token", clip=(0.2, 0.2),
                    seq_scale=0.3, tok_scale=0.1, **common)
    yield make_case(8, name="grpo_paper_clip", mode="grpo", clip=GRPO_PAPER, seq_scale=0.05, tok_scale=0.3, **common)
    yield make_case(9, name="grpo_tight_clip", mode="grpo", clip=GSPO_PAPER, seq_scale=1e-4, tok_scale=6e-4, **common)
    yield make_case(10, name="grpo_token_adv", mode="grpo", clip=(0.1, 0.2), seq_scale=0.05, tok_scale=0.25,
                    per_token_adv=True, **common)
    yield make_case(11, name="gspo_kl_penalty", mode="gspo", clip=GRPO_PAPER, seq_scale=0.3, tok_scale=0.2,
                    beta=0.05, with_ref=True, **common)
    yield make_case(12, name="grpo_kl_penalty", mode="grpo", clip=GRPO_PAPER, seq_scale=0.05, tok_scale=0.3,
                    beta=0.1, with_ref=True, **common)
    yield make_case(13, name="gspo_long_and_short", mode="gspo", clip=(0.1, 0.1), seq_scale=0.2, tok_scale=0.3,
                    B=5, T=40)


# ---------------------------------------------------------------- group advantages (§1)

def group_advantages(rewards, G, scale_by_std, eps=1e-6):
    out, zero_var = [], 0
    for g in range(0, len(rewards), G):
        r = np.array(rewards[g:g + G], dtype=np.float64)
        if np.all(r == r[0]):
            zero_var += 1
            out += [0.0] * G
            continue
        centred = r - r.mean()
        out += (centred / (r.std(ddof=1) + eps) if scale_by_std else centred).tolist()
    return {"advantages": out, "zeroVarianceGroups": zero_var, "groups": len(rewards) // G}


def advantage_cases():
    rng = np.random.default_rng(42)
    binary = rng.integers(0, 2, 32).astype(float).tolist()
    binary[8:16] = [1.0] * 8                      # force one all-correct and one all-wrong group
    binary[16:24] = [0.0] * 8
    data = [
        ("paper_example", [95.0, 70.0, 85.0, 80.0], 4),
        ("binary_g8", binary, 8),
        ("float_rewards_with_equal_group", [0.1, 0.1, 0.1, 0.1, 0.3, -0.7, 2.5, 0.0], 4),
        ("pairs", rng.normal(0, 3, 10).tolist(), 2),
    ]
    for name, rewards, G in data:
        yield {"name": name, "rewards": rewards, "groupSize": G, "eps": 1e-6,
               "withStd": group_advantages(rewards, G, True),
               "withoutStd": group_advantages(rewards, G, False)}


def to_json(value, indent=""):
    """Objects one key per line, lists of numbers on one line: readable diffs, small files."""
    if isinstance(value, dict):
        inner = indent + "  "
        items = [f'{inner}{json.dumps(k)}: {to_json(v, inner)}' for k, v in value.items()]
        return "{\n" + ",\n".join(items) + "\n" + indent + "}"
    return json.dumps(value)


def main():
    torch.set_default_dtype(torch.float64)
    OUT.mkdir(parents=True, exist_ok=True)
    for old in OUT.glob("*.json"):
        old.unlink()
    for case in cases():
        (OUT / (case["name"] + ".json")).write_text(to_json(case) + "\n")
        d = case["expected"]["diagnostics"]
        print(f"{case['name']:34s} loss={case['expected']['loss']: .6f} "
              f"clipTok low={d['clipToken']['low']:.3f} high={d['clipToken']['high']:.3f}")
    adv = list(advantage_cases())
    (OUT / "advantages").mkdir(exist_ok=True)
    (OUT / "advantages" / "group_advantages.json").write_text("[\n" + ",\n".join(to_json(a) for a in adv) + "\n]\n")
    print(f"{len(adv)} advantage cases")


if __name__ == "__main__":
    main()
