"""Renders small templates, one per Jinja feature that Hugging Face chat templates use and that the Java ChatTemplate
supports through Jinjava plus shims, with Python's jinja2 configured as transformers' apply_chat_template configures
it (ImmutableSandboxedEnvironment, trim_blocks, lstrip_blocks, loopcontrols; tojson = json.dumps with
ensure_ascii=False; raise_exception). Writes the golden file ChatTemplateFeaturesTest (module common) compares with:

    common/src/test/resources/reference/chat/template-features.json
      {"source": ..., "cases": [{"name", "template", "context", "expected" | "error"}]}

It also renders the Qwen3 conversations of qwen3-conversations.json (written by render_chat_templates.mjs with
@huggingface/jinja) with this engine and stops if any rendering differs: the two references agree on every golden.

Run from anywhere (needs Debian's python3-jinja2, i.e. /usr/bin/python3; and the cached Qwen3 tokenizer files):
    apt-get install -y python3-jinja2          # once
    /usr/bin/python3 scripts/reference/chat-templates/render_template_features.py
"""

import json
import os
import subprocess
import sys

import jinja2
from jinja2.exceptions import TemplateError
from jinja2.sandbox import ImmutableSandboxedEnvironment

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.abspath(os.path.join(HERE, "..", "..", ".."))
OUT_DIR = os.path.join(REPO, "common", "src", "test", "resources", "reference", "chat")


def environment():
    # as transformers.utils.chat_template_utils._compile_jinja_template
    def raise_exception(message):
        raise TemplateError(message)

    def tojson(x, ensure_ascii=False, indent=None, separators=None, sort_keys=False):
        return json.dumps(x, ensure_ascii=ensure_ascii, indent=indent, separators=separators, sort_keys=sort_keys)

    env = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True, extensions=["jinja2.ext.loopcontrols"])
    env.filters["tojson"] = tojson
    env.globals["raise_exception"] = raise_exception
    return env


CASES = [
    ("string-startswith-endswith",
     "{% if s.startswith('<tool') %}A{% endif %}{% if s.endswith('>') %}B{% endif %}"
     "{% if not s.startswith('x') %}C{% endif %}{% if not s.endswith('<') %}D{% endif %}",
     {"s": "<tool_response>x</tool_response>"}),
    ("string-split",
     "{{ 'a.b..'.split('.') | join('|') }}/{{ ' a  b \n c '.split() | join('|') }}/"
     "{{ s.split('</think>')[-1] }}/{{ s.split('</think>')[0] }}/{{ 'a|b'.split('|') | length }}/"
     "{{ 'a[b]c'.split('[b]') | join('+') }}/{{ 'none'.split('x') | length }}",
     {"s": "<think>r</think>\n\nanswer"}),
    ("string-strip-family",
     "[{{ s.strip('\\n') }}][{{ 'xxyxx'.strip('x') }}][{{ 'xyx'.lstrip('x') }}][{{ 'xyx'.rstrip('x') }}]"
     "[{{ '  x \\t'.strip() }}][{{ ' x '.lstrip() }}][{{ ' x '.rstrip() }}][{{ 'abcba'.strip('ab') }}]"
     "[{{ s.lstrip('\\n') }}][{{ s.rstrip('\\n') }}]",
     {"s": "\n\n  x \n"}),
    ("string-case-and-replace",
     "{{ 'aBc'.upper() }} {{ 'aBc'.lower() }} {{ 'a-b-c'.replace('-', '+') }} {{ 'a.b'.replace('.', '') }}",
     {}),
    ("reverse-slice",
     "{% for m in xs[::-1] %}{{ m }}{{ loop.index0 }}{% if not loop.last %},{% endif %}{% endfor %}",
     {"xs": ["a", "b", "c"]}),
    ("namespace-with-expression-arguments",
     "{% set ns = namespace(found=false, last=xs|length - 1, first = 1 + 1) %}"
     "{% for x in xs %}{% if x == 'b' %}{% set ns.found = true %}{% set ns.last = loop.index0 %}{% endif %}{% endfor %}"
     "{{ ns.last }}{{ ns.first }}{% if ns.found %}!{% endif %}",
     {"xs": ["a", "b", "c", "d"]}),
    ("tojson-python-separators-and-unicode",
     "{{ obj | tojson }}",
     {"obj": {"a": 1, "b": [1, "é\"<>&'\\"], "c": None, "d": True, "e": 1.5, "f": {}, "g": []}}),
    ("tojson-indent",
     "{{ obj | tojson(indent=2) }}",
     {"obj": {"name": "f", "args": {"x": [1, 2]}}}),
    ("raise-exception",
     "{% for m in messages %}{% if (m.role == 'user') != (loop.index0 % 2 == 0) %}"
     "{{ raise_exception('Conversation roles must alternate user/assistant/user/assistant/...') }}"
     "{% endif %}{% endfor %}ok",
     {"messages": [{"role": "user", "content": "a"}, {"role": "user", "content": "b"}]}),
    ("tests-defined-none-string-false-and-in",
     "{% if x is defined %}1{% endif %}{% if y is not defined %}2{% endif %}{% if z is none %}3{% endif %}"
     "{% if s is string %}4{% endif %}{% if xs is not string %}5{% endif %}{% if f is false %}6{% endif %}"
     "{% if t is false %}X{% endif %}{% if '</think>' in s %}7{% endif %}{% if 'q' not in s %}8{% endif %}",
     {"x": 1, "z": None, "s": "a</think>b", "xs": [1], "f": False, "t": True}),
    ("loop-variables-and-negative-index",
     "{% for m in xs %}{{ loop.index }}{{ loop.index0 }}{% if loop.first %}F{% endif %}{% if loop.last %}L{% endif %}"
     "{{ xs[loop.index0 - 1] }};{% endfor %}{{ xs[-1] }}{{ xs | length }}",
     {"xs": ["a", "b", "c"]}),
    ("whitespace-control-trim-and-lstrip-blocks",
     "A\n  {% if true %}\n  B\n  {% endif %}\n{%- if true %}  C{% endif -%}\n  D {{- ' E ' -}} F\n",
     {}),
    ("string-concatenation-and-tilde",
     "{{ '<|im_start|>' + role + '\\n' + content + '<|im_end|>' ~ 1 }}",
     {"role": "user", "content": "hi"}),
    ("message-fields-by-attribute-and-key",
     "{% for m in messages %}{{ m.role }}={{ m['content'] }}{% if m.reasoning is defined %}?{% endif %};{% endfor %}",
     {"messages": [{"role": "system", "content": "s"}, {"role": "user", "content": "u"}]}),
    ("trailing-newline-dropped",
     "X\n",
     {}),
]


def features(env):
    out = []
    for name, template, context in CASES:
        case = {"name": name, "template": template, "context": context}
        try:
            case["expected"] = env.from_string(template).render(**context)
        except TemplateError as e:
            case["error"] = str(e)
        out.append(case)
    return out


def cross_check_qwen3(env):
    path = os.path.join(OUT_DIR, "qwen3-conversations.json")
    tokenizer_dir = subprocess.run(
        ["bash", os.path.join(REPO, "scripts", "fetch-qwen3-tokenizer.sh")],
        check=True, capture_output=True, text=True).stdout.strip().splitlines()[-1]
    with open(os.path.join(tokenizer_dir, "tokenizer_config.json"), encoding="utf-8") as f:
        config = json.load(f)
    template = env.from_string(config["chat_template"])
    with open(path, encoding="utf-8") as f:
        goldens = json.load(f)["cases"]
    for case in goldens:
        context = {field: config[field]
                   for field in ("bos_token", "eos_token", "pad_token", "unk_token", "additional_special_tokens")
                   if config.get(field) is not None}
        context["messages"] = case["messages"]
        context["add_generation_prompt"] = case["addGenerationPrompt"]
        if "enableThinking" in case:
            context["enable_thinking"] = case["enableThinking"]
        got = template.render(**context)
        if got != case["expected"]:
            sys.exit(f"qwen3 case {case['name']}: Python's jinja2 renders {got!r}, @huggingface/jinja {case['expected']!r}")
    return len(goldens)


def main():
    env = environment()
    cases = features(env)
    os.makedirs(OUT_DIR, exist_ok=True)
    target = os.path.join(OUT_DIR, "template-features.json")
    with open(target, "w", encoding="utf-8") as f:
        json.dump({"source": f"scripts/reference/chat-templates/render_template_features.py; jinja2 {jinja2.__version__}",
                   "cases": cases}, f, ensure_ascii=False, indent=2)
        f.write("\n")
    print(f"wrote {len(cases)} cases to {target}")
    print(f"Python's jinja2 agrees with @huggingface/jinja on all {cross_check_qwen3(env)} Qwen3 conversations")


if __name__ == "__main__":
    main()
