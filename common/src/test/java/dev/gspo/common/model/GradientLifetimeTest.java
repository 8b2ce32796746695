package dev.gspo.common.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import ai.djl.training.GradientCollector;
import dev.gspo.common.scoring.ResponseLogprobs;
import dev.gspo.common.scoring.TeacherForcedScorer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Function;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Everything the backward pass reads must outlive a garbage collection between forward and backward (see
 * {@link Scalars} for the DJL hazard this guards against). Each test collects garbage on purpose at that point and
 * compares the gradients with the ones of an undisturbed pass.
 */
class GradientLifetimeTest {
    private static NDManager manager;

    @BeforeAll
    static void setUp() {
        manager = NDManager.newBaseManager();
    }

    @AfterAll
    static void tearDown() {
        manager.close();
    }

    @Test
    void teacherForcedGradientsAreTheSameWhenTheCollectorRunsBeforeBackward() {
        try (PolicyModel model = TestModels.random(manager, TestModels.config("llama", 4, 2, false), 7)) {
            List<int[]> prompts = List.of(new int[] {1, 2, 3}, new int[] {4, 5}, new int[] {6, 7, 8, 9});
            List<int[]> responses = List.of(new int[] {10, 11}, new int[] {12, 13, 14}, new int[] {15});
            Function<Boolean, double[]> gradients = collect -> gradientSums(
                    model,
                    collect,
                    () -> TeacherForcedScorer.score(
                            model.transformer(), model.weights().manager(), prompts, responses, ones(prompts.size())));

            double[] undisturbed = gradients.apply(false);
            assertThat(Arrays.stream(undisturbed).map(Math::abs).sum()).isGreaterThan(0);
            for (int round = 0; round < 5; round++) {
                double[] disturbed = gradients.apply(true);
                for (int p = 0; p < undisturbed.length; p++) {
                    assertThat(disturbed[p])
                            .as("round %d, parameter %d", round, p)
                            .isCloseTo(undisturbed[p], within(1e-5 * (1 + Math.abs(undisturbed[p]))));
                }
            }
        }
    }

    @Test
    void scalarProductsAndQuotientsKeepTheirConstantForBackward() {
        try (NDScope ignored = new NDScope()) {
            NDArray x = manager.create(new float[] {1f, -2f, 3f});
            x.setRequiresGradient(true);
            try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                NDArray y = Scalars.mul(x, 3).add(Scalars.div(x, 4)).sum();
                collectGarbage();
                gc.backward(y);
            }
            assertThat(x.getGradient().toFloatArray()).containsExactly(3.25f, 3.25f, 3.25f);
        }
    }

    /** Σ of each parameter's gradient after one backward of −Σ log π / tokens, optionally collecting before it. */
    private static double[] gradientSums(
            PolicyModel model, boolean collect, java.util.function.Supplier<ResponseLogprobs> forward) {
        var params = new ArrayList<>(model.weights().byName().values());
        params.forEach(p -> p.setRequiresGradient(true));
        Autograd.offForThisThread();
        try (NDScope ignored = new NDScope()) {
            try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                NDArray loss = Scalars.div(forward.get().logprobs().sum().neg(), 6);
                if (collect) {
                    collectGarbage();
                }
                gc.backward(loss);
            }
            double[] sums = new double[params.size()];
            for (int i = 0; i < sums.length; i++) {
                sums[i] = params.get(i)
                        .getGradient()
                        .toType(DataType.FLOAT64, false)
                        .sum()
                        .getDouble();
                params.get(i).getGradient().subi(params.get(i).getGradient());
            }
            return sums;
        }
    }

    /**
     * Frees what nothing references any more: direct buffers are released by the JDK's cleaner thread after a
     * collection, so give it a moment (this pause provokes the fault; no assertion depends on it).
     */
    private static void collectGarbage() {
        for (int i = 0; i < 3; i++) {
            System.gc();
            try {
                Thread.sleep(10);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    private static float[] ones(int n) {
        float[] f = new float[n];
        Arrays.fill(f, 1f);
        return f;
    }
}
