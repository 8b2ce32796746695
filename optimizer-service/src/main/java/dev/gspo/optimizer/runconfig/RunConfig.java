package dev.gspo.optimizer.runconfig;

import com.fasterxml.jackson.annotation.JsonInclude;
import dev.gspo.common.reward.RewardSpec;
import dev.gspo.common.task.TaskSpec;
import io.swagger.v3.oas.annotations.media.ArraySchema;
import io.swagger.v3.oas.annotations.media.Schema;
import java.util.ArrayList;
import java.util.List;

/**
 * The configuration of a training run: the body of {@code POST /v1/runs}, a preset file such as
 * {@code config/main-job.json}, and the {@code config} a checkpoint keeps. Every field is optional; a missing one
 * takes the default its section documents ({@link #withDefaults()}). {@link #validate()} lists every problem at once,
 * each naming its field as {@code section.field}, so a client fixes its request in one round trip.
 *
 * <pre>
 * {"task": {"name": "addition", "minDigits": 2, "maxDigits": 2, "heldOutSize": 400},
 *  "rewards": [{"fn": "task", "weight": 1.0}],
 *  "model": "builtin", "seed": 1, "steps": 300,
 *  "sampling":      {"promptsPerStep": 64, "groupSize": 8, "temperature": 0.7, "maxNewTokens": 6},
 *  "objective":     {"lossMode": "gspo", "clipLow": 0.003, "clipHigh": 0.004},
 *  "optimizer":     {"learningRate": 1e-4, "miniBatches": 2},
 *  "warmStart":     {"steps": 800, "batchSize": 64, "learningRate": 0.003, "targetAccuracy": 0.3},
 *  "eval":          {"every": 25, "size": 400},
 *  "checkpointing": {"every": 100}}
 * </pre>
 *
 * The flat body of earlier versions ({@code "promptsPerStep": 64, "lossMode": "gspo", "taskParams": {…}}) is still
 * read: {@link RunConfigJson} maps each flat field to its place here.
 *
 * @param task          the task and its parameters, typed per task (default: addition)
 * @param rewards       the weighted reward functions, typed per function (default: the task's own reward, weight 1);
 *                      a response's reward is the weighted sum ({@link RewardSpec})
 * @param model         the policy to start from (default: the built-in model)
 * @param seed          seeds everything random in the run (default 1)
 * @param steps         GSPO steps after the warm start (default 30); when resuming, the new total
 * @param resumeFrom    a checkpoint directory, or the id of an earlier run whose latest checkpoint to continue; the
 *                      rest of the config is then the checkpoint's own, except {@code steps}
 * @param lora          train LoRA adapters instead of every weight ({@link LoraSpec}); null: full fine-tuning
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record RunConfig(
        @Schema(description = "the task and its parameters, typed by name (default: addition)")
        TaskSpec task,

        @ArraySchema(
                arraySchema =
                        @Schema(
                                description = "weighted reward functions, typed by fn; a response's reward is "
                                        + "the weighted sum (default: the task's own reward, weight 1)"))
        List<RewardSpec> rewards,

        @Schema(description = "the policy to start from (default: the built-in model)")
        ModelSpec model,

        @Schema(description = "seeds everything random in the run", defaultValue = "1")
        Long seed,

        @Schema(
                description = "GSPO steps after the warm start; when resuming, the new total",
                defaultValue = "30",
                minimum = "1",
                maximum = "1000000")
        Integer steps,

        SamplingSpec sampling,
        ObjectiveSpec objective,
        OptimizerSpec optimizer,
        WarmStartSpec warmStart,
        EvalSpec eval,
        CheckpointSpec checkpointing,

        @Schema(
                description = "a checkpoint directory, or the id of an earlier run whose latest checkpoint to "
                        + "continue; the rest of the config is then the checkpoint's own, except steps")
        String resumeFrom,

        LoraSpec lora) {

    /** A config without LoRA (full fine-tuning). */
    public RunConfig(
            TaskSpec task,
            List<RewardSpec> rewards,
            ModelSpec model,
            Long seed,
            Integer steps,
            SamplingSpec sampling,
            ObjectiveSpec objective,
            OptimizerSpec optimizer,
            WarmStartSpec warmStart,
            EvalSpec eval,
            CheckpointSpec checkpointing,
            String resumeFrom) {
        this(
                task,
                rewards,
                model,
                seed,
                steps,
                sampling,
                objective,
                optimizer,
                warmStart,
                eval,
                checkpointing,
                resumeFrom,
                null);
    }

    /** The most samples one step may ask for (promptsPerStep × groupSize). */
    public static final int MAX_SEQUENCES_PER_STEP = 4096;

    /** A config with every field missing (all defaults). */
    public static RunConfig empty() {
        return new RunConfig(null, null, null, null, null, null, null, null, null, null, null, null);
    }

    /** The same config with every missing field, in every section, set to its default. */
    public RunConfig withDefaults() {
        TaskSpec taskWithDefaults = task == null ? TaskSpec.defaults() : task.withDefaults();
        SamplingSpec samplingWithDefaults = (sampling == null ? new SamplingSpec(null, null, null, null) : sampling)
                .withDefaults(taskWithDefaults.defaultStop());
        return new RunConfig(
                taskWithDefaults,
                rewards == null
                        ? RewardSpec.defaults()
                        : rewards.stream()
                                .map(r -> r == null ? null : r.withDefaults(samplingWithDefaults.maxNewTokens()))
                                .toList(),
                (model == null ? new ModelSpec(null) : model).withDefaults(),
                Checks.or(seed, 1L),
                Checks.or(steps, 30),
                samplingWithDefaults,
                (objective == null
                                ? new ObjectiveSpec(null, null, null, null, null, null, null, null, null)
                                : objective)
                        .withDefaults(),
                (optimizer == null ? new OptimizerSpec(null, null, null, null) : optimizer).withDefaults(),
                (warmStart == null ? new WarmStartSpec(null, null, null) : warmStart).withDefaults(),
                (eval == null ? new EvalSpec(null, null) : eval).withDefaults(),
                (checkpointing == null ? new CheckpointSpec(null) : checkpointing).withDefaults(),
                resumeFrom,
                lora == null ? null : lora.withDefaults());
    }

    /** Problems of a config with defaults applied, as "section.field: what is wrong"; empty when valid. */
    public List<String> validate() {
        List<String> p = new ArrayList<>(task.problems());
        p.addAll(RewardSpec.problems(rewards));
        model.validate(p);
        Checks.between(p, "steps", steps, 1, 1_000_000);
        sampling.validate(p);
        objective.validate(p);
        optimizer.validate(p);
        warmStart.validate(p);
        eval.validate(p);
        checkpointing.validate(p);
        if (lora != null) {
            lora.validate(p);
        }
        int sequences = sampling.promptsPerStep() * sampling.groupSize();
        if (sequences > MAX_SEQUENCES_PER_STEP) {
            p.add("sampling: promptsPerStep × groupSize = " + sequences + " exceeds " + MAX_SEQUENCES_PER_STEP);
        } else if (optimizer.miniBatches() > sequences) {
            p.add("optimizer.miniBatches: " + optimizer.miniBatches() + " exceeds the " + sequences
                    + " samples of a step");
        }
        if (sampling.dynamicSampling() && sampling.maxOverSample() * sampling.groupSize() > MAX_SEQUENCES_PER_STEP) {
            p.add("sampling.maxOverSample: maxOverSample × groupSize = "
                    + sampling.maxOverSample() * sampling.groupSize() + " exceeds " + MAX_SEQUENCES_PER_STEP);
        }
        StalenessRule.check(sampling, objective, p);
        if (objective.routingReplay() && "builtin".equals(model.source())) {
            p.add("objective.routingReplay: the built-in 'builtin' model is dense (no experts to replay); use model "
                    + "'moe' or a qwen3_moe directory");
        }
        return p;
    }

    /** The same config resumed from {@code from} (null: not resumed). */
    public RunConfig withResumeFrom(String from) {
        return new RunConfig(
                task,
                rewards,
                model,
                seed,
                steps,
                sampling,
                objective,
                optimizer,
                warmStart,
                eval,
                checkpointing,
                from,
                lora);
    }

    public RunConfig withSteps(int newSteps) {
        return new RunConfig(
                task,
                rewards,
                model,
                seed,
                newSteps,
                sampling,
                objective,
                optimizer,
                warmStart,
                eval,
                checkpointing,
                resumeFrom,
                lora);
    }

    /** The same config training LoRA adapters with {@code spec} (null: full fine-tuning). */
    public RunConfig withLora(LoraSpec spec) {
        return new RunConfig(
                task,
                rewards,
                model,
                seed,
                steps,
                sampling,
                objective,
                optimizer,
                warmStart,
                eval,
                checkpointing,
                resumeFrom,
                spec);
    }
}
