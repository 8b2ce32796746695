#!/usr/bin/env python3
"""An example reward server for gspo-java's "fn": "http" reward functions (remote reward contract v1).

Copy it and replace score() with your own grader. Python 3.9+, standard library only.

    python3 examples/reward-server/reward_server.py --port 8090
    python3 examples/reward-server/reward_server.py --port 8090 --token-env REWARD_TOKEN   # require a bearer token
    python3 examples/reward-server/reward_server.py --port 8443 --cert server.crt --key server.key   # https
    python3 examples/reward-server/reward_server.py --port 8090 --record items.jsonl   # keep what it was sent

It answers POST /v1/score (any path, in fact) with
    {"items": [{"id", "prompt", "response", "answer", "metadata"}]}  ->  {"scores": [{"id", "score", "components"}]}
as docs/reward-api/v1/*.schema.json describe. Run config:
    "rewards": [{"fn": "http", "url": "http://127.0.0.1:8090/v1/score"}]
with --token-env, also "tokenSecret": "grader" in the function and gspo.optimizer.reward.tokens.grader=<the token>
(environment: GSPO_OPTIMIZER_REWARD_TOKENS_GRADER) in the optimizer-service.

The example's grader: 1 if the response, stripped and lower-cased, equals the answer, else 0; it also reports the
components "correct" (the same) and "chars" (the response's length in characters), which the optimizer exports as
gspo.train.reward{fn="<name>.correct"} and {fn="<name>.chars"}. It prints one line when it is ready:
    listening on http://127.0.0.1:8090/v1/score
"""

import argparse
import hmac
import json
import os
import ssl
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

MAX_BODY_BYTES = 64 * 1024 * 1024


def score(item):
    """The reward of one item, and its named parts. Replace this with your grader."""
    response = item["response"].strip().lower()
    answer = item["answer"].strip().lower()
    correct = 1.0 if response == answer else 0.0
    return correct, {"correct": correct, "chars": float(len(item["response"]))}


class Handler(BaseHTTPRequestHandler):
    token = None  # set from --token-env
    record = None  # set from --record: a file every item received is appended to, one JSON line each
    record_lock = threading.Lock()

    def do_POST(self):
        if self.token is not None:
            given = self.headers.get("Authorization", "")
            if not hmac.compare_digest(given.encode(), ("Bearer " + self.token).encode()):
                return self.reply(401, {"error": "missing or wrong bearer token"})
        if self.headers.get("Gspo-Reward-Api", "v1") != "v1":
            return self.reply(400, {"error": "this server speaks reward contract v1"})
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_BODY_BYTES:
            return self.reply(413, {"error": "body larger than %d bytes" % MAX_BODY_BYTES})
        try:
            request = json.loads(self.rfile.read(length))
            items = request["items"]
            if not isinstance(items, list):
                raise ValueError("\"items\" must be an array")
            if Handler.record is not None and items:
                with Handler.record_lock, open(Handler.record, "a", encoding="utf-8") as f:
                    for item in items:
                        f.write(json.dumps(item, ensure_ascii=False) + "\n")
            scores = []
            for item in items:
                value, components = score(item)
                scores.append({"id": item["id"], "score": value, "components": components})
        except (ValueError, KeyError, TypeError) as e:
            return self.reply(400, {"error": "bad request: %s: %s" % (type(e).__name__, e)})
        self.reply(200, {"scores": scores})

    def reply(self, status, body):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        # HTTP/1.0 closes the connection after each answer; say so, or a client that pools connections (the JDK's
        # HttpClient does unless told) may send its next request down the closed one and fail with a broken pipe
        self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, fmt, *args):  # one line per request on stderr, never the headers
        sys.stderr.write("%s %s\n" % (self.address_string(), fmt % args))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8090, help="0: any free port (the ready line says which)")
    parser.add_argument("--token-env", help="require 'Authorization: Bearer <token>', the token read from this "
                                            "environment variable (never from the command line: it would show in ps)")
    parser.add_argument("--cert", help="serve https with this PEM certificate (chain)")
    parser.add_argument("--key", help="... and this PEM private key")
    parser.add_argument("--record", help="append every item received (prompt, response, answer, metadata) to this "
                                         "file, one JSON object per line: to see what the optimizer sends")
    args = parser.parse_args()
    if args.token_env:
        Handler.token = os.environ.get(args.token_env)
        if not Handler.token:
            parser.error("environment variable %s is empty or not set" % args.token_env)
    Handler.record = args.record
    server = ThreadingHTTPServer((args.host, args.port), Handler)
    scheme = "http"
    if args.cert:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(args.cert, args.key)
        server.socket = context.wrap_socket(server.socket, server_side=True)
        scheme = "https"
    print("listening on %s://%s:%d/v1/score" % (scheme, args.host, server.server_address[1]), flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
