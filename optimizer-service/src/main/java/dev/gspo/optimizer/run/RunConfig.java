package dev.gspo.optimizer.run;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import dev.gspo.common.objective.ClipRange;
import dev.gspo.common.objective.LossMode;
import dev.gspo.common.train.OldLogprobs;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The configuration of a training run ({@code POST /v1/runs} body). Every field is optional; a missing field takes
 * the default documented here and in the README. {@link #validate()} lists every problem at once, each naming its
 * field, so a client fixes its request in one round trip.
 *
 * @param task            {@code addition} | {@code reverse} | {@code jsonl}
 * @param taskParams      the task's parameters (addition: minDigits, maxDigits; jsonl: path, heldOutFraction, …)
 * @param model           {@code builtin} (the project's tiny dense model, created from {@code seed}), {@code moe} (the
 *                        built-in small qwen3_moe model, see {@code BuiltinModel#moeConfig}) or a model directory
 * @param steps           GSPO steps after the warm start
 * @param promptsPerStep  prompts sampled per step; each gets {@code groupSize} responses
 * @param miniBatches     gradient updates per rollout batch (the paper uses 4)
 * @param lossMode        {@code gspo} | {@code gspo-token} | {@code grpo}
 * @param clipLow         ε_low; default: the paper's preset of the loss mode (GSPO 3e-4, GRPO 0.2)
 * @param clipHigh        ε_high; default: GSPO 4e-4, GRPO 0.27
 * @param oldLogprobs     {@code rollout} (use the replica's log-probs as π_old) | {@code recompute}
 * @param klBeta          weight β of the KL penalty (k3 estimator) to the policy the GSPO phase started from; 0 = off
 * @param sftSteps        supervised warm-start steps on the task's demonstrations before GSPO (0 = none)
 * @param evalEvery       held-out greedy accuracy every this many steps (and always before the first and after the
 *                        last step)
 * @param checkpointEvery a checkpoint every this many steps (and always at the end or on stop); 0 = only then
 * @param resumeFrom      a checkpoint directory, or the id of an earlier run whose latest checkpoint to continue
 * @param routingReplay   MoE models only: π_θ's forwards use the experts π_old routed each token to (see
 *                        {@code PolicyTrainer}); default false. Refused for a dense model
 */
@JsonIgnoreProperties(ignoreUnknown = false)
@JsonInclude(JsonInclude.Include.NON_NULL)
public record RunConfig(
        String task,
        Map<String, Object> taskParams,
        String model,
        Integer steps,
        Integer promptsPerStep,
        Integer groupSize,
        Integer miniBatches,
        String lossMode,
        Double clipLow,
        Double clipHigh,
        String oldLogprobs,
        Double klBeta,
        Double learningRate,
        Double maxGradNorm,
        Double weightDecay,
        Boolean scaleAdvantagesByStd,
        Double temperature,
        Integer maxNewTokens,
        Long seed,
        Integer sftSteps,
        Integer sftBatchSize,
        Double sftLearningRate,
        Integer evalEvery,
        Integer evalSize,
        Integer checkpointEvery,
        String resumeFrom,
        Boolean routingReplay) {

    public static final int MAX_SEQUENCES_PER_STEP = 4096;
    /** The built-in models {@link #model} may name instead of a directory. */
    public static final List<String> BUILTIN_MODELS = List.of("builtin", "moe");

    /** A config without {@code routingReplay} (it takes its default). */
    public RunConfig(
            String task,
            Map<String, Object> taskParams,
            String model,
            Integer steps,
            Integer promptsPerStep,
            Integer groupSize,
            Integer miniBatches,
            String lossMode,
            Double clipLow,
            Double clipHigh,
            String oldLogprobs,
            Double klBeta,
            Double learningRate,
            Double maxGradNorm,
            Double weightDecay,
            Boolean scaleAdvantagesByStd,
            Double temperature,
            Integer maxNewTokens,
            Long seed,
            Integer sftSteps,
            Integer sftBatchSize,
            Double sftLearningRate,
            Integer evalEvery,
            Integer evalSize,
            Integer checkpointEvery,
            String resumeFrom) {
        this(
                task,
                taskParams,
                model,
                steps,
                promptsPerStep,
                groupSize,
                miniBatches,
                lossMode,
                clipLow,
                clipHigh,
                oldLogprobs,
                klBeta,
                learningRate,
                maxGradNorm,
                weightDecay,
                scaleAdvantagesByStd,
                temperature,
                maxNewTokens,
                seed,
                sftSteps,
                sftBatchSize,
                sftLearningRate,
                evalEvery,
                evalSize,
                checkpointEvery,
                resumeFrom,
                null);
    }

    /** A config with every field missing (all defaults). */
    public static RunConfig empty() {
        return new RunConfig(
                null, null, null, null, null, null, null, null, null, null, null, null, null, null, null, null, null,
                null, null, null, null, null, null, null, null, null, null);
    }

    /** The same config with every missing field set to its default. */
    public RunConfig withDefaults() {
        String mode = or(lossMode, "gspo");
        ClipRange preset =
                safeMode(mode) == null ? ClipRange.GSPO_PAPER : safeMode(mode).paperClipRange();
        return new RunConfig(
                or(task, "addition"),
                taskParams == null ? Map.of() : taskParams,
                or(model, "builtin"),
                or(steps, 30),
                or(promptsPerStep, 16),
                or(groupSize, 8),
                or(miniBatches, 4),
                mode,
                or(clipLow, preset.low()),
                or(clipHigh, preset.high()),
                or(oldLogprobs, "rollout"),
                or(klBeta, 0.0),
                or(learningRate, 5e-4),
                or(maxGradNorm, 1.0),
                or(weightDecay, 0.0),
                or(scaleAdvantagesByStd, true),
                or(temperature, 1.0),
                or(maxNewTokens, 8),
                or(seed, 1L),
                or(sftSteps, 0),
                or(sftBatchSize, 64),
                or(sftLearningRate, 3e-3),
                or(evalEvery, 5),
                or(evalSize, 200),
                or(checkpointEvery, 10),
                resumeFrom,
                or(routingReplay, false));
    }

    /** Problems of a config with defaults applied, as "field: what is wrong"; empty when valid. */
    public List<String> validate() {
        List<String> p = new ArrayList<>();
        positive(p, "steps", steps, 1_000_000);
        positive(p, "promptsPerStep", promptsPerStep, 1024);
        positive(p, "groupSize", groupSize, 256);
        positive(p, "miniBatches", miniBatches, 1024);
        if (promptsPerStep != null && groupSize != null && promptsPerStep * groupSize > MAX_SEQUENCES_PER_STEP) {
            p.add("promptsPerStep × groupSize: " + promptsPerStep * groupSize + " exceeds " + MAX_SEQUENCES_PER_STEP);
        }
        if (groupSize != null && groupSize < 2) {
            p.add("groupSize: must be ≥ 2 (a group of one has no baseline), got " + groupSize);
        }
        if (miniBatches != null
                && promptsPerStep != null
                && groupSize != null
                && miniBatches > promptsPerStep * groupSize) {
            p.add("miniBatches: " + miniBatches + " exceeds the " + promptsPerStep * groupSize + " samples of a step");
        }
        if (safeMode(lossMode) == null) {
            p.add("lossMode: unknown '" + lossMode + "'; one of gspo, gspo-token, grpo");
        }
        range(p, "clipLow", clipLow, 0, 1, false);
        range(p, "clipHigh", clipHigh, 0, 100, false);
        if (!"rollout".equals(oldLogprobs) && !"recompute".equals(oldLogprobs)) {
            p.add("oldLogprobs: unknown '" + oldLogprobs + "'; one of rollout, recompute");
        }
        range(p, "klBeta", klBeta, 0, 100, true);
        range(p, "learningRate", learningRate, 0, 1, false);
        range(p, "maxGradNorm", maxGradNorm, 0, 1e6, false);
        range(p, "weightDecay", weightDecay, 0, 1, true);
        range(p, "temperature", temperature, 0, 10, false);
        positive(p, "maxNewTokens", maxNewTokens, 4096);
        nonNegative(p, "sftSteps", sftSteps, 1_000_000);
        positive(p, "sftBatchSize", sftBatchSize, 4096);
        range(p, "sftLearningRate", sftLearningRate, 0, 1, false);
        positive(p, "evalEvery", evalEvery, 1_000_000);
        nonNegative(p, "evalSize", evalSize, 100_000);
        nonNegative(p, "checkpointEvery", checkpointEvery, 1_000_000);
        if (task == null || task.isBlank()) {
            p.add("task: must not be blank");
        }
        if (model == null || model.isBlank()) {
            p.add("model: must be 'builtin', 'moe' or a model directory");
        }
        if (Boolean.TRUE.equals(routingReplay) && "builtin".equals(model)) {
            p.add("routingReplay: the built-in 'builtin' model is dense (no experts to replay); use model 'moe' or a "
                    + "qwen3_moe directory");
        }
        return p;
    }

    public LossMode mode() {
        return LossMode.fromName(lossMode);
    }

    public ClipRange clipRange() {
        return new ClipRange(clipLow, clipHigh);
    }

    public OldLogprobs oldLogprobSource() {
        return OldLogprobs.fromName(oldLogprobs);
    }

    /** The same config resumed from a checkpoint (the rest is taken from the checkpoint's own config). */
    public RunConfig withResumeFrom(String from) {
        return new RunConfig(
                task,
                taskParams,
                model,
                steps,
                promptsPerStep,
                groupSize,
                miniBatches,
                lossMode,
                clipLow,
                clipHigh,
                oldLogprobs,
                klBeta,
                learningRate,
                maxGradNorm,
                weightDecay,
                scaleAdvantagesByStd,
                temperature,
                maxNewTokens,
                seed,
                sftSteps,
                sftBatchSize,
                sftLearningRate,
                evalEvery,
                evalSize,
                checkpointEvery,
                from);
    }

    public RunConfig withSteps(int newSteps) {
        return new RunConfig(
                task,
                taskParams,
                model,
                newSteps,
                promptsPerStep,
                groupSize,
                miniBatches,
                lossMode,
                clipLow,
                clipHigh,
                oldLogprobs,
                klBeta,
                learningRate,
                maxGradNorm,
                weightDecay,
                scaleAdvantagesByStd,
                temperature,
                maxNewTokens,
                seed,
                sftSteps,
                sftBatchSize,
                sftLearningRate,
                evalEvery,
                evalSize,
                checkpointEvery,
                resumeFrom,
                routingReplay);
    }

    /** The same config with routing replay set. */
    public RunConfig withRoutingReplay(boolean replay) {
        return new RunConfig(
                task,
                taskParams,
                model,
                steps,
                promptsPerStep,
                groupSize,
                miniBatches,
                lossMode,
                clipLow,
                clipHigh,
                oldLogprobs,
                klBeta,
                learningRate,
                maxGradNorm,
                weightDecay,
                scaleAdvantagesByStd,
                temperature,
                maxNewTokens,
                seed,
                sftSteps,
                sftBatchSize,
                sftLearningRate,
                evalEvery,
                evalSize,
                checkpointEvery,
                resumeFrom,
                replay);
    }

    private static LossMode safeMode(String name) {
        try {
            return name == null ? null : LossMode.fromName(name);
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    private static void positive(List<String> p, String field, Integer v, int max) {
        if (v != null && (v < 1 || v > max)) {
            p.add(field + ": must be between 1 and " + max + ", got " + v);
        }
    }

    private static void nonNegative(List<String> p, String field, Integer v, int max) {
        if (v != null && (v < 0 || v > max)) {
            p.add(field + ": must be between 0 and " + max + ", got " + v);
        }
    }

    private static void range(List<String> p, String field, Double v, double lo, double hi, boolean loInclusive) {
        if (v != null && (!Double.isFinite(v) || v > hi || (loInclusive ? v < lo : v <= lo))) {
            p.add(field + ": must be in " + (loInclusive ? "[" : "(") + lo + ", " + hi + "], got " + v);
        }
    }

    private static <T> T or(T value, T fallback) {
        return value != null ? value : fallback;
    }
}
