package dev.gspo.optimizer.runconfig;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonInclude;
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
 * @param promptsPerStep  prompts per step, each answered {@code groupSize} times (default 16, at most 1024)
 * @param groupSize       G, responses per prompt: the group the advantage is relative to (default 8, 2..256)
 * @param temperature     sampling temperature T (default 1.0, in (0, 10])
 * @param maxNewTokens    longest response in tokens (default 8, at most 4096)
 * @param dynamicSampling drop groups whose rewards are all equal and draw more prompts (default false)
 * @param maxOverSample   the most extra prompts one step may draw with dynamic sampling, each answered G times
 *                        (default {@code promptsPerStep}, i.e. at most twice the rollouts; 0..4096)
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record SamplingSpec(
        Integer promptsPerStep,
        Integer groupSize,
        Double temperature,
        Integer maxNewTokens,
        Boolean dynamicSampling,
        Integer maxOverSample) {

    /** The canonical constructor is the one JSON binds to. */
    @JsonCreator
    public SamplingSpec {}

    /** Sampling without dynamic sampling. */
    public SamplingSpec(Integer promptsPerStep, Integer groupSize, Double temperature, Integer maxNewTokens) {
        this(promptsPerStep, groupSize, temperature, maxNewTokens, null, null);
    }

    SamplingSpec withDefaults() {
        int prompts = Checks.or(promptsPerStep, 16);
        return new SamplingSpec(
                prompts,
                Checks.or(groupSize, 8),
                Checks.or(temperature, 1.0),
                Checks.or(maxNewTokens, 8),
                Checks.or(dynamicSampling, false),
                Checks.or(maxOverSample, prompts));
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
    }
}
