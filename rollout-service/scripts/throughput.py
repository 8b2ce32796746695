#!/usr/bin/env python3
"""Tokens/s of POST /v1/rollouts: one request at a time, then N concurrent callers.

Usage: throughput.py [base_url] [concurrency]   (default http://127.0.0.1:8081, 4)
Each request: 16 prompts x 8 samples x up to 32 new tokens (temperature 1). Generation stops early at EOS,
so the rate is computed from the completion tokens the service reports in `usage`.
"""
import json, random, sys, threading, time, urllib.request

BASE = sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:8081"
CONCURRENCY = int(sys.argv[2]) if len(sys.argv) > 2 else 4


def request(seed):
    rng = random.Random(seed)
    prompts = [{"id": f"p{i}", "tokenIds": [rng.randrange(3, 16) for _ in range(8)]} for i in range(16)]
    body = {"prompts": prompts, "groupSize": 8, "sampling": {"maxNewTokens": 32, "temperature": 1.0, "seed": seed}}
    req = urllib.request.Request(BASE + "/v1/rollouts", data=json.dumps(body).encode(),
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=600) as r:
        return json.load(r)["usage"]["completionTokens"]


def run(callers, rounds):
    tokens = [0]
    lock = threading.Lock()

    def caller(k):
        for j in range(rounds):
            n = request(1000 * k + j)
            with lock:
                tokens[0] += n

    threads = [threading.Thread(target=caller, args=(k,)) for k in range(callers)]
    start = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - start
    return tokens[0], elapsed


request(1)  # warm-up
for callers in (1, CONCURRENCY):
    tokens, elapsed = run(callers, 3)
    print(f"{callers} caller(s) x 3 requests: {tokens} tokens in {elapsed:.2f} s = {tokens / elapsed:,.0f} tokens/s, "
          f"{3 * callers / elapsed:.2f} requests/s")
