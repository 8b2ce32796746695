package dev.gspo.optimizer.runconfig;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonInclude;
import io.swagger.v3.oas.annotations.media.Schema;
import java.util.List;

/**
 * {@code "sampling"}: what the rollout fleet is asked for each step.
 *
 * <p>Dynamic sampling (DAPO): a group whose G rewards are all equal has Â = 0 for every sample, so it carries no
 * gradient and only dilutes the step. With {@code dynamicSampling} on, such groups are dropped and more prompts are
 * drawn until the step holds {@code promptsPerStep} informative groups or {@code maxOverSample} extra prompts have been
 * drawn:
 *
 * <pre>
 *   keep ← informative groups of the step's own P prompts;  extra ← 0
 *   while |keep| &lt; P and extra &lt; maxOverSample:
 *     n ← min(maxOverSample − extra, ⌈(P − |keep|) / max(rate, 1/8)⌉)   rate = informative share so far
 *     draw n more prompts (their seeds derive from (seed, step, round)), G responses each;  extra ← extra + n
 *     keep ← keep + their informative groups
 *   train on the first P of keep (all P drawn groups when none was informative)
 * </pre>
 *
 * @param promptsPerStep prompts per step, each answered {@code groupSize} times (default 16, at most 1024)
 * @param groupSize      G, responses per prompt: the group the advantage is relative to (default 8, 2..256)
 * @param temperature    sampling temperature T (default 1.0, in (0, 10])
 * @param maxNewTokens   longest response in tokens (default 8, at most 4096); a response that reaches it without an
 *                       EOS or a stop string is truncated ({@code finishReason} {@code length})
 * @param stop           strings that end a response besides the model's EOS, which always does (at most
 *                       {@value #MAX_STOP_STRINGS}, each 1 to {@value #MAX_STOP_LENGTH} characters); the response's
 *                       text ends before the first one found. Default: the task's ({@code ["\n"]} for the built-in
 *                       tasks, {@code []} for a dataset: the EOS only). Also used by the held-out evaluation
 * @param dynamicSampling drop groups whose rewards are all equal and draw more prompts (default false)
 * @param maxOverSample  the most extra prompts one step may draw with dynamic sampling, each answered G times
 *                       (default {@code promptsPerStep}, i.e. at most twice the rollouts; 0..4096)
 * @param maxStaleness   pipelined steps: how many policy versions older than the trainer a step's samples may be
 *                       (default 0: strictly on-policy, each step samples the version it trains; 1: the fleet
 *                       samples step k+1 from version v while the trainer trains step k on version v's samples; at
 *                       most {@value #MAX_STALENESS}). With S &gt; 0 step k's samples come from exactly version
 *                       max(v₁, v_k − S), v₁ the run's first; π_old must then be the sampling policy's (the rollout's
 *                       log-probs, or the trainer's with {@code objective.tisCap}): see {@code RunConfig#validate}
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record SamplingSpec(
        @Schema(
                description = "prompts per step, each answered groupSize times",
                defaultValue = "16",
                minimum = "1",
                maximum = "1024")
        Integer promptsPerStep,

        @Schema(
                description = "G, responses per prompt: the group the advantage is relative to",
                defaultValue = "8",
                minimum = "2",
                maximum = "256")
        Integer groupSize,

        @Schema(
                description = "sampling temperature T, in (0, 10]",
                defaultValue = "1.0",
                minimum = "0",
                exclusiveMinimum = true,
                maximum = "10")
        Double temperature,

        @Schema(
                description = "longest response in tokens; a response that reaches it without an EOS or a stop "
                        + "string is truncated (finishReason length)",
                defaultValue = "8",
                minimum = "1",
                maximum = "4096")
        Integer maxNewTokens,

        @Schema(
                description = "strings that end a response besides the model's EOS (at most 16, each 1 to 64 "
                        + "characters); default the task's: [\"\\n\"] for the built-in tasks, [] for a dataset")
        List<String> stop,

        @Schema(
                description = "dynamic sampling (DAPO): drop groups whose rewards are all equal and draw more prompts",
                defaultValue = "false")
        Boolean dynamicSampling,

        @Schema(
                description = "the most extra prompts one step may draw with dynamic sampling, each answered "
                        + "groupSize times; default promptsPerStep",
                minimum = "0",
                maximum = "4096")
        Integer maxOverSample,

        @Schema(
                description = "pipelined steps: how many policy versions older than the trainer a step's samples "
                        + "may be; 0 = strictly on-policy, 1 = the fleet samples step k+1 while the trainer trains "
                        + "step k; needs objective.oldLogprobs rollout (or recompute with objective.tisCap)",
                defaultValue = "0",
                minimum = "0",
                maximum = "4")
        Integer maxStaleness) {

    /** The largest {@code maxStaleness}: a deeper pipeline only adds staleness on one fleet and one trainer. */
    public static final int MAX_STALENESS = 4;

    /** As many stop strings as a rollout-service takes by default ({@code gspo.rollout.max-stop-strings}). */
    public static final int MAX_STOP_STRINGS = 16;
    /** The longest stop string. */
    public static final int MAX_STOP_LENGTH = 64;

    /** The canonical constructor is the one JSON binds to. */
    @JsonCreator
    public SamplingSpec {
        // null elements are kept, to be named by validate(); List.copyOf would refuse them with no field name
        stop = stop == null ? null : java.util.Collections.unmodifiableList(new java.util.ArrayList<>(stop));
    }

    /** A spec without stop strings of its own (the task's apply). */
    public SamplingSpec(Integer promptsPerStep, Integer groupSize, Double temperature, Integer maxNewTokens) {
        this(promptsPerStep, groupSize, temperature, maxNewTokens, null, null, null, null);
    }

    /** A spec without dynamic sampling. */
    public SamplingSpec(
            Integer promptsPerStep, Integer groupSize, Double temperature, Integer maxNewTokens, List<String> stop) {
        this(promptsPerStep, groupSize, temperature, maxNewTokens, stop, null, null, null);
    }

    /** A spec with the strictly on-policy loop's staleness (the default). */
    public SamplingSpec(
            Integer promptsPerStep,
            Integer groupSize,
            Double temperature,
            Integer maxNewTokens,
            List<String> stop,
            Boolean dynamicSampling,
            Integer maxOverSample) {
        this(promptsPerStep, groupSize, temperature, maxNewTokens, stop, dynamicSampling, maxOverSample, null);
    }

    /**
     * As the record's, with each stop string quoted and escaped (a newline must not break a log line), the stop
     * strings last.
     */
    @Override
    public String toString() {
        return "SamplingSpec[promptsPerStep=" + promptsPerStep + ", groupSize=" + groupSize + ", temperature="
                + temperature + ", maxNewTokens=" + maxNewTokens + ", dynamicSampling=" + dynamicSampling
                + ", maxOverSample=" + maxOverSample + ", maxStaleness=" + maxStaleness + ", stop="
                + (stop == null ? null : stop.stream().map(SamplingSpec::quoted).toList()) + "]";
    }

    private static String quoted(String s) {
        if (s == null) {
            return null;
        }
        StringBuilder b = new StringBuilder("\"");
        for (char c : s.toCharArray()) {
            switch (c) {
                case '\n' -> b.append("\\n");
                case '\r' -> b.append("\\r");
                case '\t' -> b.append("\\t");
                case '"' -> b.append("\\\"");
                case '\\' -> b.append("\\\\");
                default -> {
                    if (c < 0x20) {
                        b.append(String.format("\\u%04x", (int) c));
                    } else {
                        b.append(c);
                    }
                }
            }
        }
        return b.append('"').toString();
    }

    SamplingSpec withDefaults(List<String> taskStop) {
        int prompts = Checks.or(promptsPerStep, 16);
        return new SamplingSpec(
                prompts,
                Checks.or(groupSize, 8),
                Checks.or(temperature, 1.0),
                Checks.or(maxNewTokens, 8),
                Checks.or(stop, taskStop),
                Checks.or(dynamicSampling, false),
                Checks.or(maxOverSample, prompts),
                Checks.or(maxStaleness, 0));
    }

    void validate(List<String> p) {
        Checks.between(p, "sampling.promptsPerStep", promptsPerStep, 1, 1024);
        if (groupSize != null && groupSize < 2) {
            p.add("sampling.groupSize: must be ≥ 2 (a group of one has no baseline), got " + groupSize);
        } else {
            Checks.between(p, "sampling.groupSize", groupSize, 2, 256);
        }
        Checks.range(p, "sampling.temperature", temperature, 0, 10, false);
        Checks.between(p, "sampling.maxNewTokens", maxNewTokens, 1, 4096);
        Checks.between(p, "sampling.maxOverSample", maxOverSample, 0, 4096);
        Checks.between(p, "sampling.maxStaleness", maxStaleness, 0, MAX_STALENESS);
        if (stop != null) {
            if (stop.size() > MAX_STOP_STRINGS) {
                p.add("sampling.stop: at most " + MAX_STOP_STRINGS + " stop strings, got " + stop.size());
            }
            for (int i = 0; i < stop.size(); i++) {
                String s = stop.get(i);
                if (s == null || s.isEmpty()) {
                    p.add("sampling.stop[" + i + "]: must be a non-empty string");
                } else if (s.length() > MAX_STOP_LENGTH) {
                    p.add("sampling.stop[" + i + "]: at most " + MAX_STOP_LENGTH + " characters, got " + s.length());
                }
            }
        }
    }
}
