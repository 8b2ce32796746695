package dev.gspo.common.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import dev.gspo.common.decode.BatchGenerator;
import dev.gspo.common.decode.Completion;
import dev.gspo.common.decode.SamplingParams;
import dev.gspo.common.decode.Seeds;
import dev.gspo.common.decode.SequenceRequest;
import dev.gspo.common.model.PolicyModel;
import dev.gspo.common.model.Scalars;
import dev.gspo.common.model.TestModels;
import dev.gspo.common.objective.AdvantageConfig;
import dev.gspo.common.objective.Advantages;
import dev.gspo.common.objective.ClipRange;
import dev.gspo.common.objective.GroupAdvantages;
import dev.gspo.common.objective.LossMode;
import dev.gspo.common.objective.ObjectiveConfig;
import dev.gspo.common.objective.PolicyBatch;
import dev.gspo.common.objective.PolicyObjective;
import dev.gspo.common.profile.TrainStage;
import dev.gspo.common.scoring.ResponseLogprobs;
import dev.gspo.common.scoring.TeacherForcedScorer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class PolicyTrainerTest {

    /**
     * On-policy (π_old = π_θ) the GSPO gradient is the length-normalised REINFORCE gradient,
     * ∇J = (1/B) Σ_i Â_i (1/|y_i|) Σ_t ∇log π_θ(y_i,t) (docs/ALGORITHM.md §4, (A5)), for every weight of the real model.
     */
    @Test
    void onPolicyGspoGradientIsTheLengthNormalisedPolicyGradient() {
        try (NDManager manager = NDManager.newBaseManager();
                PolicyModel model = TestModels.random(manager, TestModels.config("qwen2", 4, 2, false), 8)) {
            model.weights().parameters().forEach(p -> p.setRequiresGradient(true));
            List<int[]> prompts = List.of(new int[] {1, 4, 5}, new int[] {1, 6}, new int[] {1, 7, 8, 9});
            List<int[]> responses = List.of(new int[] {9, 10, 2}, new int[] {3, 4, 5, 6, 7, 2}, new int[] {11});
            float[] adv = {1.2f, -0.7f, 0.4f};
            float[] ones = {1f, 1f, 1f};
            Map<String, float[]> gspo = gradients(model, () -> {
                ResponseLogprobs lp = TeacherForcedScorer.score(model.transformer(), manager, prompts, responses, ones);
                NDArray old = lp.logprobs().stopGradient().duplicate();
                return new PolicyObjective(ObjectiveConfig.defaults(LossMode.GSPO))
                        .compute(PolicyBatch.of(lp.logprobs(), old, lp.mask(), manager.create(adv)))
                        .loss();
            });
            Map<String, float[]> reinforce = gradients(model, () -> {
                ResponseLogprobs lp = TeacherForcedScorer.score(model.transformer(), manager, prompts, responses, ones);
                NDArray lengths = manager.create(new float[] {3, 6, 1}, new Shape(3, 1));
                NDArray weights = manager.create(adv, new Shape(3, 1)).div(lengths);
                return Scalars.div(lp.logprobs().mul(weights).sum(), 3).neg(); // −(1/B) Σ_i Â_i/|y_i| Σ_t log π
            });
            double worst = 0;
            double scale = 0;
            for (String name : gspo.keySet()) {
                float[] a = gspo.get(name);
                float[] b = reinforce.get(name);
                for (int i = 0; i < a.length; i++) {
                    worst = Math.max(worst, Math.abs(a[i] - b[i]));
                    scale = Math.max(scale, Math.abs(b[i]));
                }
            }
            assertThat(scale).as("the gradient is not trivially zero").isGreaterThan(1e-3);
            assertThat(worst).isLessThan(1e-6 + 1e-5 * scale);
            model.tokenizer().close();
        }
    }

    @org.junit.jupiter.params.ParameterizedTest
    @org.junit.jupiter.params.provider.ValueSource(strings = {"llama", "qwen3_moe"})
    void gspoStepsRaiseTheRewardOfATinyVerifiableTask(String type) {
        try (NDManager manager = NDManager.newBaseManager();
                PolicyModel model = TestModels.random(manager, TestModels.config(type, 4, 2, true), 2);
                AdamW adam = new AdamW(model.weights().byName(), AdamW.Hyper.defaults(), manager)) {
            // reward 1 when the first generated token is 5
            PolicyTrainer trainer = new PolicyTrainer(
                    model,
                    adam,
                    new PolicyObjective(ObjectiveConfig.defaults(LossMode.GSPO).withClip(ClipRange.symmetric(0.2))),
                    1.0);
            GroupAdvantages advantages = new GroupAdvantages(AdvantageConfig.defaults());
            SplittableRandom rng = new SplittableRandom(3);
            double first = -1;
            double last = -1;
            PolicyTrainer.StepResult result = null;
            for (int step = 0; step < 25; step++) {
                List<PolicySample> samples = new ArrayList<>();
                double meanReward = rollout(model, step, advantages, samples);
                if (step == 0) {
                    first = meanReward;
                }
                last = meanReward;
                result = trainer.step(samples, 4, 1e-2, OldLogprobs.ROLLOUT, 0, rng);
            }
            assertThat(result.mismatchMax())
                    .as("rollout and trainer agree on the same weights")
                    .isLessThan(1e-4);
            assertThat(result.skipped()).isZero();
            assertThat(last).isGreaterThan(first + 0.3);
            model.tokenizer().close();
        }
    }

    /**
     * A qwen3_moe policy trains through the same step; the share of routed expert sets that moved is measured after
     * the first update, with and without routing replay, and is NaN for a dense model.
     */
    @Test
    void moeStepsMeasureTheShareOfTokensWhoseExpertsChangedWithAndWithoutReplay() {
        for (String type : List.of("qwen3_moe", "llama")) {
            List<byte[]> after = new ArrayList<>();
            for (boolean replay : List.of(false, true)) {
                try (NDManager manager = NDManager.newBaseManager();
                        PolicyModel model = TestModels.random(manager, TestModels.config(type, 4, 2, true), 2);
                        AdamW adam = new AdamW(model.weights().byName(), AdamW.Hyper.defaults(), manager)) {
                    PolicyTrainer trainer = new PolicyTrainer(
                            model,
                            adam,
                            new PolicyObjective(ObjectiveConfig.defaults(LossMode.GRPO)),
                            1.0,
                            null,
                            replay);
                    List<PolicySample> samples = new ArrayList<>();
                    rollout(model, 0, new GroupAdvantages(AdvantageConfig.defaults()), samples);
                    PolicyTrainer.StepResult r =
                            trainer.step(samples, 4, 3e-2, OldLogprobs.ROLLOUT, 0, new SplittableRandom(4));
                    assertThat(r.skipped()).isZero();
                    if (type.equals("llama")) {
                        assertThat(r.routingChangeShare())
                                .as("dense: nothing routed")
                                .isNaN();
                    } else {
                        assertThat(r.routingChangeShare())
                                .as("replay %s", replay)
                                .isBetween(1e-3, 1.0);
                    }
                    after.add(model.weightsAsSafetensors());
                    model.tokenizer().close();
                }
            }
            if (type.equals("qwen3_moe")) {
                // once experts moved, replay trains on other forwards than free routing: the updates differ
                assertThat(after.get(1)).as("weights after a step with replay").isNotEqualTo(after.get(0));
            }
        }
    }

    @Test
    void aStepTellsItsTimerWhereEachStageEndsInOrderAndTrainsAsWithoutOne() {
        List<PolicySample> samples = List.of(
                new PolicySample(new int[] {1, 4}, new int[] {5, 6}, new float[] {-2f, -1f}, 1.0, 1f),
                new PolicySample(new int[] {1}, new int[] {7}, new float[] {-3f}, -1.0, 0.7f));
        byte[] withoutTimer;
        try (NDManager manager = NDManager.newBaseManager();
                PolicyModel model = TestModels.random(manager, TestModels.config("llama", 4, 2, true), 2);
                AdamW adam = new AdamW(model.weights().byName(), AdamW.Hyper.defaults(), manager)) {
            new PolicyTrainer(model, adam, new PolicyObjective(ObjectiveConfig.defaults(LossMode.GSPO)), 1.0)
                    .step(samples, 2, 1e-2, OldLogprobs.ROLLOUT, 0, new SplittableRandom(1));
            withoutTimer = model.weightsAsSafetensors();
            model.tokenizer().close();
        }
        try (NDManager manager = NDManager.newBaseManager();
                PolicyModel model = TestModels.random(manager, TestModels.config("llama", 4, 2, true), 2);
                AdamW adam = new AdamW(model.weights().byName(), AdamW.Hyper.defaults(), manager)) {
            List<TrainStage> seen = new ArrayList<>();
            new PolicyTrainer(model, adam, new PolicyObjective(ObjectiveConfig.defaults(LossMode.GSPO)), 1.0)
                    .step(samples, 2, 1e-2, OldLogprobs.ROLLOUT, 0, new SplittableRandom(1), seen::add);
            List<TrainStage> minibatch = List.of(
                    TrainStage.OTHER,
                    TrainStage.INPUTS,
                    TrainStage.BLOCKS,
                    TrainStage.HEAD,
                    TrainStage.LOG_SOFTMAX,
                    TrainStage.LOSS,
                    TrainStage.BACKWARD,
                    TrainStage.OTHER,
                    TrainStage.CLIP,
                    TrainStage.ADAMW,
                    TrainStage.ZERO);
            List<TrainStage> expected = new ArrayList<>(List.of(TrainStage.OTHER, TrainStage.OLD_LOGPROBS));
            expected.addAll(minibatch);
            expected.addAll(minibatch);
            assertThat(seen).containsExactlyElementsOf(expected);
            assertThat(model.weightsAsSafetensors()).isEqualTo(withoutTimer);
            model.tokenizer().close();
        }
    }

    @Test
    void nonFiniteLossSkipsTheUpdateAndLeavesTheWeightsAlone() {
        try (NDManager manager = NDManager.newBaseManager();
                PolicyModel model = TestModels.random(manager, TestModels.config("llama", 4, 2, true), 2);
                AdamW adam = new AdamW(model.weights().byName(), AdamW.Hyper.defaults(), manager)) {
            PolicyTrainer trainer =
                    new PolicyTrainer(model, adam, new PolicyObjective(ObjectiveConfig.defaults(LossMode.GRPO)), 1.0);
            byte[] before = model.weightsAsSafetensors();
            List<PolicySample> samples = List.of(
                    new PolicySample(new int[] {1}, new int[] {5, 6}, new float[] {Float.NaN, -1f}, 1.0, 1f),
                    new PolicySample(new int[] {1}, new int[] {7}, new float[] {Float.NaN}, -1.0, 1f));
            PolicyTrainer.StepResult r =
                    trainer.step(samples, 2, 1e-2, OldLogprobs.ROLLOUT, 0, new SplittableRandom(1));
            assertThat(r.skipped()).isEqualTo(2);
            assertThat(model.weightsAsSafetensors()).isEqualTo(before);
            assertThat(adam.step()).isZero();
            // and the next, healthy step still trains: the NaN gradients were cleared
            List<PolicySample> healthy = List.of(
                    new PolicySample(new int[] {1}, new int[] {5, 6}, new float[] {-2f, -1f}, 1.0, 1f),
                    new PolicySample(new int[] {1}, new int[] {7}, new float[] {-3f}, -1.0, 1f));
            PolicyTrainer.StepResult ok =
                    trainer.step(healthy, 1, 1e-2, OldLogprobs.RECOMPUTE, 0, new SplittableRandom(1));
            assertThat(ok.skipped()).isZero();
            assertThat(ok.gradNorms().getFirst()).isFinite().isPositive();
            assertThat(model.weightsAsSafetensors()).isNotEqualTo(before);
            model.tokenizer().close();
        }
    }

    @Test
    void klPenaltyToTheStartingPolicyIsZeroAtFirstAndGrowsAsThePolicyMoves() {
        try (NDManager manager = NDManager.newBaseManager();
                PolicyModel model = TestModels.random(manager, TestModels.config("llama", 4, 2, true), 2);
                PolicyModel reference = model.withWeights(
                        dev.gspo.common.model.Safetensors.read(model.weightsAsSafetensors()), manager);
                AdamW adam = new AdamW(model.weights().byName(), AdamW.Hyper.defaults(), manager)) {
            PolicyTrainer trainer = new PolicyTrainer(
                    model,
                    adam,
                    new PolicyObjective(ObjectiveConfig.defaults(LossMode.GSPO)
                            .withClip(ClipRange.symmetric(0.2))
                            .withKlBeta(0.1)),
                    1.0,
                    reference);
            GroupAdvantages advantages = new GroupAdvantages(AdvantageConfig.defaults());
            SplittableRandom rng = new SplittableRandom(3);
            List<Double> kl = new ArrayList<>();
            for (int step = 0; step < 6; step++) {
                List<PolicySample> samples = new ArrayList<>();
                rollout(model, step, advantages, samples);
                PolicyTrainer.StepResult r = trainer.step(samples, 1, 1e-2, OldLogprobs.ROLLOUT, 0, rng);
                kl.add(r.minibatches().getFirst().klToRef());
            }
            assertThat(kl.getFirst()).isCloseTo(0.0, within(1e-6));
            assertThat(kl.getLast()).isGreaterThan(1e-4).isFinite();
            model.tokenizer().close();
        }
    }

    @Test
    void aPositiveKlWeightWithoutAReferenceIsRefused() {
        try (NDManager manager = NDManager.newBaseManager();
                PolicyModel model = TestModels.random(manager, TestModels.config("llama", 4, 2, true), 2);
                AdamW adam = new AdamW(model.weights().byName(), AdamW.Hyper.defaults(), manager)) {
            org.assertj.core.api.Assertions.assertThatThrownBy(() -> new PolicyTrainer(
                            model,
                            adam,
                            new PolicyObjective(
                                    ObjectiveConfig.defaults(LossMode.GSPO).withKlBeta(0.1)),
                            1.0,
                            null))
                    .hasMessageContaining("reference");
            model.tokenizer().close();
        }
    }

    private static double rollout(PolicyModel model, int step, GroupAdvantages advantages, List<PolicySample> out) {
        SamplingParams params = new SamplingParams(2, 1.0, 1.0, 0, List.of());
        int groups = 8;
        int g = 8;
        List<SequenceRequest> requests = new ArrayList<>();
        for (int p = 0; p < groups; p++) {
            for (int s = 0; s < g; s++) {
                requests.add(new SequenceRequest(new int[] {1, 3 + p}, params, Seeds.forSample(step, p, s)));
            }
        }
        List<Completion> completions = new BatchGenerator(model).generate(requests);
        double[] rewards = completions.stream()
                .mapToDouble(c -> c.tokenIds()[0] == 5 ? 1 : 0)
                .toArray();
        Advantages a = advantages.compute(rewards, g);
        for (int i = 0; i < completions.size(); i++) {
            Completion c = completions.get(i);
            out.add(new PolicySample(
                    requests.get(i).promptTokenIds(), c.tokenIds(), c.logprobs(), a.advantages()[i], 1f));
        }
        return Arrays.stream(rewards).average().orElse(0);
    }

    private static Map<String, float[]> gradients(PolicyModel model, java.util.function.Supplier<NDArray> loss) {
        Map<String, float[]> out = new LinkedHashMap<>();
        try (NDScope ignored = new NDScope()) {
            try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                gc.backward(loss.get());
            }
            model.weights()
                    .byName()
                    .forEach((name, p) -> out.put(name, p.getGradient().toFloatArray()));
        }
        Gradients.zero(model.weights().parameters());
        return out;
    }
}
