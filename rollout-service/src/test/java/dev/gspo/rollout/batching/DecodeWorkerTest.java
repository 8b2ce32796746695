package dev.gspo.rollout.batching;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.djl.ndarray.NDManager;
import dev.gspo.common.decode.BatchGenerator;
import dev.gspo.common.decode.Completion;
import dev.gspo.common.decode.SamplingParams;
import dev.gspo.common.decode.SequenceRequest;
import dev.gspo.common.model.BuiltinModel;
import dev.gspo.common.model.PolicyModel;
import dev.gspo.rollout.weights.PolicyRegistry;
import dev.gspo.rollout.weights.TestRegistries;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DecodeWorkerTest {
    @TempDir
    Path dir;

    static List<SequenceRequest> rows(int n, int maxNewTokens, double temperature) {
        return Collections.nCopies(
                n,
                new SequenceRequest(new int[] {1, 4, 5}, new SamplingParams(maxNewTokens, temperature, 1, 0, null), n));
    }

    @Test
    void decodesEveryRequestWaitingAsOneBatchEvenWithDifferentSamplingParameters() throws Exception {
        List<int[]> batches = new ArrayList<>();
        try (NDManager manager = NDManager.newBaseManager();
                PolicyRegistry registry = TestRegistries.serving(BuiltinModel.create(dir, 1, manager))) {
            DecodeQueue queue = new DecodeQueue(100);
            PendingRollout a = new PendingRollout(rows(4, 3, 1.0));
            PendingRollout b = new PendingRollout(rows(2, 6, 0.0));
            PendingRollout c = new PendingRollout(rows(8, 2, 0.7));
            List.of(a, b, c).forEach(queue::add);
            DecodeWorker worker = new DecodeWorker(
                    queue,
                    registry,
                    64,
                    (sequences, requests, tokens, version) -> batches.add(new int[] {sequences, requests}));

            worker.start();
            List<DecodedRollout> results =
                    List.of(a.result().get(), b.result().get(), c.result().get());
            worker.stop();

            assertThat(batches).singleElement().satisfies(s -> assertThat(s).containsExactly(14, 3));
            assertThat(results).extracting(DecodedRollout::policyVersion).containsOnly(0L);
            assertThat(results).extracting(r -> r.completions().size()).containsExactly(4, 2, 8);
            assertThat(results.get(1).completions())
                    .allSatisfy(cmp -> assertThat(cmp.tokenIds()).hasSizeLessThanOrEqualTo(6));
            assertThat(results.get(2).completions())
                    .allSatisfy(cmp -> assertThat(cmp.tokenIds()).hasSizeLessThanOrEqualTo(2));
            assertThat(worker.isRunning()).isFalse();
        }
    }

    /**
     * A stopped worker decodes again once started: Spring 7's test context cache stops the lifecycle beans of a
     * context another test class switched away from and starts them when it comes back, and the closed queue used to
     * stay closed (every request then 503 "the decoder is shutting down").
     */
    @Test
    void decodesAgainAfterAStopAndAStart() throws Exception {
        try (NDManager manager = NDManager.newBaseManager();
                PolicyRegistry registry = TestRegistries.serving(BuiltinModel.create(dir, 1, manager))) {
            DecodeQueue queue = new DecodeQueue(100);
            DecodeWorker worker = new DecodeWorker(queue, registry, 64, BatchListener.NONE);
            worker.start();
            PendingRollout before = new PendingRollout(rows(2, 3, 1.0));
            queue.add(before);
            before.result().get();
            worker.stop();

            worker.start();
            PendingRollout after = new PendingRollout(rows(2, 3, 1.0));
            queue.add(after);

            assertThat(after.result().get().completions()).hasSize(2);
            worker.stop();
        }
    }

    /**
     * The worker keeps each version's fused decode weights across its batches; after a swap its next batch must decode
     * with the new version's, exactly as a decode with fused weights built from the new weights for the call.
     */
    @Test
    void afterASwapTheNextBatchDecodesWithTheNewVersionsWeights() throws Exception {
        try (NDManager manager = NDManager.newBaseManager();
                PolicyRegistry registry = TestRegistries.serving(BuiltinModel.create(dir.resolve("v0"), 1, manager))) {
            PolicyModel v1 = BuiltinModel.create(dir.resolve("v1"), 2, manager);
            DecodeQueue queue = new DecodeQueue(100);
            DecodeWorker worker = new DecodeWorker(queue, registry, 64, BatchListener.NONE);
            List<SequenceRequest> rows = rows(3, 8, 1.0);
            worker.start();
            PendingRollout onV0 = new PendingRollout(rows);
            queue.add(onV0);
            List<Completion> v0Samples = onV0.result().get().completions(); // the worker built v0's fused weights

            TestRegistries.swap(registry, 1, v1);
            PendingRollout onV1 = new PendingRollout(rows);
            queue.add(onV1);
            DecodedRollout got = onV1.result().get();
            worker.stop();

            assertThat(got.policyVersion()).isEqualTo(1L);
            List<Completion> want = new BatchGenerator(v1).generate(rows);
            for (int i = 0; i < want.size(); i++) {
                Completion g = got.completions().get(i);
                assertThat(g.tokenIds())
                        .as("row %d", i)
                        .containsExactly(want.get(i).tokenIds());
                for (int j = 0; j < g.logprobs().length; j++) {
                    assertThat(g.logprobs()[j]).isCloseTo(want.get(i).logprobs()[j], within(1e-5f));
                }
            }
            assertThat(Math.abs(got.completions().getFirst().logprobs()[0]
                            - v0Samples.getFirst().logprobs()[0]))
                    .as("v1's first log-prob differs from v0's (else this test could not see stale weights)")
                    .isGreaterThan(1e-3f);
        }
    }
}
