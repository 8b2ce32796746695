package dev.gspo.rollout.batching;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDManager;
import dev.gspo.common.decode.SamplingParams;
import dev.gspo.common.decode.SequenceRequest;
import dev.gspo.common.model.BuiltinModel;
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
}
