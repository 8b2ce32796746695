package dev.gspo.rollout.web;

import dev.gspo.common.decode.FinishReason;
import io.swagger.v3.oas.models.media.Schema;
import java.util.List;
import java.util.Map;

/**
 * The documentation of the wire records ({@code dev.gspo.common.wire}: plain records without OpenAPI annotations, as
 * {@code common} depends on nothing but Jackson) in the published schemas: what each field means, the default of
 * each optional request field, the fields every answer carries, and the values of {@code finishReason}. The texts are
 * the records' Javadoc; the defaults are the ones the service applies ({@code RolloutPlanner}).
 */
final class WireDocs {
    private WireDocs() {}

    @SuppressWarnings("rawtypes")
    static void apply(Map<String, Schema> schemas) {
        describe(
                schemas.get("RolloutRequest"),
                "POST /v1/rollouts: sample groupSize completions for every prompt.",
                List.of(),
                "prompts",
                "the prompts, answered in this order (at most gspo.rollout.max-prompts-per-request)",
                "groupSize",
                "samples per prompt (G); absent: 1",
                "sampling",
                "how to sample; absent: every default",
                "minPolicyVersion",
                "refuse with 409 if the replica serves an older policy version; absent: any version");
        defaults(schemas.get("RolloutRequest"), "groupSize", 1);
        describe(
                schemas.get("PromptInput"),
                "One prompt, as text (encoded by the served policy's tokenizer) or as token ids: exactly one of the two.",
                List.of(),
                "id",
                "echoed back as promptId; absent: the prompt's index (\"0\", \"1\", …)",
                "text",
                "the prompt text, encoded without special tokens",
                "tokenIds",
                "the prompt's token ids, used as they are");
        describe(
                schemas.get("SamplingSpec"),
                "Sampling parameters; every field is optional.",
                List.of(),
                "maxNewTokens",
                "tokens to generate at most; absent: 16",
                "temperature",
                "0 = greedy; absent: 1.0. Returned log-probs are log softmax(logits / T) (T = 1 when greedy)",
                "topP",
                "nucleus mass in (0, 1]; absent: 1 (off)",
                "topK",
                "keep the k most likely tokens, 0 = off; absent: 0",
                "seed",
                "the request seed (each sample derives its own); absent: a random seed, not reproducible",
                "stop",
                "strings that end a sample (excluded from its text); absent: none");
        defaults(schemas.get("SamplingSpec"), "maxNewTokens", 16, "temperature", 1.0, "topP", 1.0, "topK", 0);
        describe(
                schemas.get("RolloutResponse"),
                "The answer to a rollout request.",
                List.of("policyVersion", "groups", "usage"),
                "policyVersion",
                "the one policy version that generated every sample of the response",
                "groups",
                "one group per prompt, in request order",
                "usage",
                "token counts");
        describe(
                schemas.get("SampleGroup"),
                "The G samples of one prompt, with the prompt's token ids as the policy saw them.",
                List.of("promptId", "promptTokenIds", "samples"),
                "promptId",
                "the prompt's id",
                "promptTokenIds",
                "the prompt's token ids",
                "samples",
                "groupSize samples");
        describe(
                schemas.get("Sample"),
                "One sampled completion.",
                List.of("tokenIds", "text", "logprobs", "finishReason"),
                "tokenIds",
                "every generated token, including an EOS token or the tokens of a stop string",
                "text",
                "the decoded text, cut before the stop string or EOS",
                "logprobs",
                "logprobs[t] = log softmax(logits / T)[tokenIds[t]] over the full vocabulary, under the response's "
                        + "policy version; same length as tokenIds",
                "finishReason",
                "why the sample ended: eos (the model's end-of-sequence token, the last of tokenIds), stop (one of "
                        + "sampling.stop; its tokens end tokenIds, text stops before it) or length (maxNewTokens "
                        + "reached: a truncated response)");
        enumOf(
                schemas.get("Sample"),
                "finishReason",
                java.util.Arrays.stream(FinishReason.values())
                        .map(FinishReason::wireName)
                        .toArray(String[]::new));
        describe(
                schemas.get("Usage"),
                "Token counts of a response.",
                List.of("promptTokens", "completionTokens"),
                "promptTokens",
                "prompt tokens summed over prompts (each counted once, not once per sample)",
                "completionTokens",
                "generated tokens summed over every sample");
        describe(
                schemas.get("PolicyInfo"),
                "What a replica serves (GET /v1/policy; the answer of a push).",
                List.of("version", "sha256", "modelType", "parameters", "loadedAt"),
                "version",
                "the policy version: 0 for the model loaded at start-up, then whatever pushes set",
                "sha256",
                "lower-case hex SHA-256 of the served model.safetensors bytes",
                "modelType",
                "Hugging Face model_type, e.g. llama",
                "parameters",
                "number of weights",
                "loadedAt",
                "ISO-8601 instant at which this version started serving",
                "vocabSize",
                "the model's vocabulary size (vocab_size)",
                "config",
                "the served model's config.json as Hugging Face writes it (every tensor's shape follows from it)",
                "baseSha256",
                "SHA-256 of the base weights the served version is built on: the last full push (equal to sha256 when "
                        + "no adapter is applied); an adapter push names it in X-Base-SHA256",
                "adapter",
                "the LoRA adapter merged into the served weights (PUT /v1/policy/adapter); absent without one");
        describe(
                schemas.get("Adapter"),
                "A LoRA adapter served merged into the base weights: W + (alpha/r)·B A on each target.",
                List.of("sha256", "rank", "alpha", "targets", "bytes"),
                "sha256",
                "lower-case hex SHA-256 of the pushed adapter body",
                "rank",
                "r",
                "alpha",
                "alpha; the update is scaled by alpha / r",
                "targets",
                "the adapted linear layers (PEFT module names)",
                "bytes",
                "size of the pushed adapter body");
        if (schemas.get("PolicyInfo") != null) {
            Schema<?> loadedAt =
                    (Schema<?>) schemas.get("PolicyInfo").getProperties().get("loadedAt");
            if (loadedAt != null) {
                loadedAt.setFormat("date-time");
            }
            Schema<?> config =
                    (Schema<?>) schemas.get("PolicyInfo").getProperties().get("config");
            if (config != null) {
                config.setAdditionalProperties(true); // any JSON value per key, as config.json holds
            }
        }
    }

    /** Sets the schema's description, its required properties and, pairwise, each property's description. */
    @SuppressWarnings("rawtypes")
    private static void describe(Schema schema, String description, List<String> required, String... pairs) {
        if (schema == null) {
            return;
        }
        schema.setDescription(description);
        if (!required.isEmpty()) {
            schema.setRequired(required);
        }
        for (int i = 0; i + 1 < pairs.length; i += 2) {
            Schema<?> property = property(schema, pairs[i]);
            if (property != null) {
                property.setDescription(pairs[i + 1]);
            }
        }
    }

    @SuppressWarnings("rawtypes")
    private static void defaults(Schema schema, Object... pairs) {
        if (schema == null) {
            return;
        }
        for (int i = 0; i + 1 < pairs.length; i += 2) {
            Schema<?> property = property(schema, (String) pairs[i]);
            if (property != null) {
                property.setDefault(pairs[i + 1]);
            }
        }
    }

    @SuppressWarnings({"rawtypes", "unchecked"})
    private static void enumOf(Schema schema, String name, String... values) {
        Schema property = schema == null ? null : property(schema, name);
        if (property != null) {
            property.setEnum(List.of(values));
        }
    }

    @SuppressWarnings("rawtypes")
    private static Schema<?> property(Schema schema, String name) {
        return schema.getProperties() == null
                ? null
                : (Schema<?>) schema.getProperties().get(name);
    }
}
