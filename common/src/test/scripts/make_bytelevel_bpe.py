#!/usr/bin/env python3
"""Writes the tiny GPT-2/Qwen-style byte-level BPE tokenizer.json used by PolicyTokenizerTest.

Standard library only. Vocabulary: the 256 byte-level symbols (GPT-2's bytes_to_unicode, ids in
byte order 0..255), five merges (ids 256..260) and two special added tokens (261, 262).
Run from the repository root:
    python3 common/src/test/scripts/make_bytelevel_bpe.py
"""
import json
import pathlib


def bytes_to_unicode():
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return dict(zip(bs, (chr(c) for c in cs)))


def main():
    byte_char = bytes_to_unicode()
    vocab = {byte_char[b]: b for b in range(256)}
    merges = [("Ġ", "t"), ("h", "e"), ("Ġt", "he"), ("1", "2"), ("i", "n")]
    for a, b in merges:
        vocab[a + b] = len(vocab)
    added = []
    for content in ("<|endoftext|>", "<|im_end|>"):
        added.append({"id": len(vocab) + len(added), "content": content, "single_word": False,
                      "lstrip": False, "rstrip": False, "normalized": False, "special": True})
    byte_level = {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": False, "use_regex": True}
    tokenizer = {
        "version": "1.0",
        "truncation": None,
        "padding": None,
        "added_tokens": added,
        "normalizer": None,
        "pre_tokenizer": byte_level,
        "post_processor": byte_level,
        "decoder": byte_level,
        "model": {
            "type": "BPE",
            "dropout": None,
            "unk_token": None,
            "continuing_subword_prefix": None,
            "end_of_word_suffix": None,
            "fuse_unk": False,
            "byte_fallback": False,
            "vocab": vocab,
            "merges": [a + " " + b for a, b in merges],
        },
    }
    out = pathlib.Path("common/src/test/resources/tokenizer/bytelevel-bpe/tokenizer.json")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(tokenizer, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {out} ({len(vocab) + len(added)} tokens)")


if __name__ == "__main__":
    main()
