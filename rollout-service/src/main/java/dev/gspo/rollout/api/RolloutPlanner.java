package dev.gspo.rollout.api;

import dev.gspo.common.decode.SamplingParams;
import dev.gspo.common.model.ModelConfig;
import dev.gspo.common.model.PolicyModel;
import dev.gspo.common.wire.PromptInput;
import dev.gspo.common.wire.RolloutRequest;
import dev.gspo.common.wire.SamplingSpec;
import dev.gspo.rollout.config.RolloutProperties;
import dev.gspo.rollout.validation.InvalidRequestException;
import dev.gspo.rollout.validation.Violation;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import org.springframework.http.HttpStatus;
import org.springframework.stereotype.Component;

/**
 * Checks a rollout request against the contract, the configured limits and the served model, and applies the
 * defaults. Every violation is reported with its JSON path; 400 if any is a contract or limit violation, 422 if all
 * are about the model (token ids outside the vocabulary, prompts too long for the positions).
 */
@Component
class RolloutPlanner {
    static final int DEFAULT_GROUP_SIZE = 1;
    static final int DEFAULT_MAX_NEW_TOKENS = 16;
    static final double DEFAULT_TEMPERATURE = 1.0;

    private final RolloutProperties limits;
    private final PromptTextLimit textLimit;

    RolloutPlanner(RolloutProperties limits, PromptTextLimit textLimit) {
        this.limits = limits;
        this.textLimit = textLimit;
    }

    RolloutPlan plan(RolloutRequest request, PolicyModel model) {
        Violations v = new Violations();
        int groupSize = groupSize(request.groupSize(), v);
        SamplingSpec spec = request.sampling() == null ? SamplingSpec.defaults() : request.sampling();
        int maxNew = maxNewTokens(spec.maxNewTokens(), v);
        double temperature = spec.temperature() == null ? DEFAULT_TEMPERATURE : spec.temperature();
        if (!(temperature >= 0) || Double.isInfinite(temperature)) {
            v.bad("sampling.temperature", "must be a finite number ≥ 0, got " + temperature);
        }
        double topP = spec.topP() == null ? 1.0 : spec.topP();
        if (!(topP > 0 && topP <= 1)) {
            v.bad("sampling.topP", "must be in (0, 1], got " + topP);
        }
        int topK = spec.topK() == null ? 0 : spec.topK();
        if (topK < 0) {
            v.bad("sampling.topK", "must be ≥ 0 (0 = off), got " + topK);
        }
        List<String> stop = spec.stop() == null ? List.of() : spec.stop();
        if (stop.size() > limits.maxStopStrings()) {
            v.bad(
                    "sampling.stop",
                    stop.size() + " stop strings exceed the limit " + limits.maxStopStrings()
                            + " (gspo.rollout.max-stop-strings)");
        }
        for (int i = 0; i < stop.size(); i++) {
            if (stop.get(i) == null || stop.get(i).isEmpty()) {
                v.bad("sampling.stop[" + i + "]", "must be a non-empty string");
            }
        }
        if (request.minPolicyVersion() != null && request.minPolicyVersion() < 0) {
            v.bad("minPolicyVersion", "must be ≥ 0, got " + request.minPolicyVersion());
        }
        List<PlannedPrompt> prompts = prompts(request.prompts(), groupSize, maxNew, model, v);
        v.throwIfAny();
        long seed =
                spec.seed() != null ? spec.seed() : ThreadLocalRandom.current().nextLong();
        return new RolloutPlan(
                prompts,
                groupSize,
                new SamplingParams(maxNew, temperature, topP, topK, stop),
                seed,
                request.minPolicyVersion());
    }

    private int groupSize(Integer requested, Violations v) {
        int g = requested == null ? DEFAULT_GROUP_SIZE : requested;
        if (g < 1) {
            v.bad("groupSize", "must be ≥ 1, got " + g);
        } else if (g > limits.maxGroupSize()) {
            v.bad("groupSize", g + " exceeds the limit " + limits.maxGroupSize() + " (gspo.rollout.max-group-size)");
        }
        return g;
    }

    private int maxNewTokens(Integer requested, Violations v) {
        int n = requested == null ? Math.min(DEFAULT_MAX_NEW_TOKENS, limits.maxNewTokens()) : requested;
        if (n < 1) {
            v.bad("sampling.maxNewTokens", "must be ≥ 1, got " + n);
        } else if (n > limits.maxNewTokens()) {
            v.bad(
                    "sampling.maxNewTokens",
                    n + " exceeds the limit " + limits.maxNewTokens() + " (gspo.rollout.max-new-tokens)");
        }
        return n;
    }

    private List<PlannedPrompt> prompts(
            List<PromptInput> inputs, int groupSize, int maxNew, PolicyModel model, Violations v) {
        if (inputs == null || inputs.isEmpty()) {
            v.bad("prompts", "at least one prompt is required");
            return List.of();
        }
        if (inputs.size() > limits.maxPromptsPerRequest()) {
            v.bad(
                    "prompts",
                    inputs.size() + " prompts exceed the limit " + limits.maxPromptsPerRequest()
                            + " (gspo.rollout.max-prompts-per-request)");
            return List.of();
        }
        long sequences = (long) inputs.size() * groupSize;
        if (groupSize >= 1 && sequences > limits.maxBatchSequences()) {
            v.bad(
                    "groupSize",
                    "prompts × groupSize = " + inputs.size() + " × " + groupSize + " = " + sequences
                            + " sequences exceed the limit " + limits.maxBatchSequences()
                            + " (gspo.rollout.max-batch-sequences)");
        }
        ModelConfig config = model.config();
        List<PlannedPrompt> out = new ArrayList<>(inputs.size());
        for (int i = 0; i < inputs.size(); i++) {
            String path = "prompts[" + i + "]";
            PromptInput in = inputs.get(i);
            if (in == null) {
                v.bad(path, "must be an object with text or tokenIds");
                continue;
            }
            if ((in.text() == null) == (in.tokenIds() == null)) {
                v.bad(path, "give exactly one of text and tokenIds");
                continue;
            }
            int[] ids;
            if (in.text() != null) {
                if (in.text().isEmpty()) {
                    v.bad(path + ".text", "must not be empty");
                    continue;
                }
                if (!fitsBeforeTokenising(in.text(), path, maxNew, config, v)) {
                    continue;
                }
                ids = model.tokenizer().encode(in.text());
                if (ids.length == 0) {
                    v.bad(path + ".text", "encodes to no tokens");
                    continue;
                }
            } else {
                ids = in.tokenIds();
                if (ids.length == 0) {
                    v.bad(path + ".tokenIds", "must not be empty");
                    continue;
                }
                if (!inVocabulary(ids, config.vocabSize(), path, v)) {
                    continue;
                }
            }
            if (ids.length + maxNew > config.maxPositionEmbeddings()) {
                v.unprocessable(
                        path,
                        "prompt length " + ids.length + " + maxNewTokens " + maxNew + " = "
                                + (ids.length + maxNew) + " exceeds the model's max_position_embeddings "
                                + config.maxPositionEmbeddings());
            } else if (limits.maxContextTokens() > 0 && ids.length + maxNew > limits.maxContextTokens()) {
                v.bad(
                        path,
                        "prompt length " + ids.length + " + maxNewTokens " + maxNew + " = "
                                + (ids.length + maxNew) + " exceeds the limit " + limits.maxContextTokens()
                                + " (gspo.rollout.max-context-tokens)");
            }
            out.add(new PlannedPrompt(in.id() != null ? in.id() : Integer.toString(i), ids));
        }
        return out;
    }

    /**
     * Refuses, without tokenising it, a text too long to fit the positions whatever its tokens
     * ({@link PromptTextLimit}): tokenising a 1 MB text cost seconds of CPU before its length was known.
     */
    private boolean fitsBeforeTokenising(String text, String path, int maxNew, ModelConfig config, Violations v) {
        if (!textLimit.bounded()) {
            return true;
        }
        // an out-of-range maxNewTokens is reported on its own; the text is then held to the loosest budget
        int newTokens = maxNew >= 1 && maxNew <= limits.maxNewTokens() ? maxNew : 1;
        int promptTokens = config.maxPositionEmbeddings() - newTokens;
        long maxChars = textLimit.maxChars(promptTokens);
        if (text.length() <= maxChars) {
            return true;
        }
        v.unprocessable(
                path + ".text",
                "text of " + text.length() + " characters cannot fit: a prompt has at most max_position_embeddings "
                        + config.maxPositionEmbeddings() + " − maxNewTokens " + newTokens + " = "
                        + Math.max(0, promptTokens) + " tokens and a token of this tokenizer stands for at most "
                        + textLimit.maxCharsPerToken() + " characters, so at most " + maxChars
                        + " characters (refused before tokenising)");
        return false;
    }

    private static boolean inVocabulary(int[] ids, int vocab, String path, Violations v) {
        for (int j = 0; j < ids.length; j++) {
            if (ids[j] < 0 || ids[j] >= vocab) {
                v.unprocessable(
                        path + ".tokenIds[" + j + "]",
                        "token id " + ids[j] + " is outside the vocabulary [0, " + vocab + ")");
                return false;
            }
        }
        return true;
    }

    /** Violations found so far; 400 wins over 422. */
    private static final class Violations {
        private final List<Violation> list = new ArrayList<>();
        private boolean badRequest;

        void bad(String field, String message) {
            list.add(new Violation(field, message));
            badRequest = true;
        }

        void unprocessable(String field, String message) {
            list.add(new Violation(field, message));
        }

        void throwIfAny() {
            if (!list.isEmpty()) {
                throw new InvalidRequestException(
                        badRequest ? HttpStatus.BAD_REQUEST : HttpStatus.UNPROCESSABLE_CONTENT, list);
            }
        }
    }
}
