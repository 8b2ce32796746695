package dev.gspo.rollout.weights;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.djl.ndarray.NDArray;
import dev.gspo.common.decode.BatchGenerator;
import dev.gspo.common.decode.Completion;
import dev.gspo.common.decode.RunningBatch;
import dev.gspo.common.decode.RunningBatch.Admission;
import dev.gspo.common.decode.RunningBatch.Finished;
import dev.gspo.common.decode.SamplingParams;
import dev.gspo.common.decode.SequenceRequest;
import dev.gspo.common.model.DecodeWeights;
import dev.gspo.common.model.PolicyModel;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A served version's fused decode weights are built once, shared by every batch on that version, freed with the
 * version, and never seen by a later version, not even one whose push refills the retired version's storage (so a
 * cache keyed by the storage would decode the new version with the old weights).
 */
class VersionDecodeWeightsTest {
    @TempDir
    Path dir;

    ReplicaUnderPush replica;

    @BeforeEach
    void setUp() {
        replica = new ReplicaUnderPush(dir);
    }

    @AfterEach
    void tearDown() {
        replica.close();
    }

    private void push(long version) {
        replica.push(version);
    }

    private static final List<SequenceRequest> ROWS = List.of(
            new SequenceRequest(new int[] {1, 4, 5, 6}, new SamplingParams(12, 1.0, 1.0, 0, null), 7),
            new SequenceRequest(new int[] {1, 9}, new SamplingParams(9, 0.8, 1.0, 0, null), 8));

    /** The rows decoded by a running batch with the leased version's own fused weights, as DecodeWorker does. */
    private static List<Completion> decodeWithTheVersionsWeights(PolicyLease lease) {
        Completion[] out = new Completion[ROWS.size()];
        try (RunningBatch<Integer> batch = new RunningBatch<>(lease.model(), 4, 64, lease.decodeWeights())) {
            List<Admission<Integer>> rows = new ArrayList<>();
            for (int i = 0; i < ROWS.size(); i++) {
                rows.add(new Admission<>(i, ROWS.get(i)));
            }
            List<Finished<Integer>> ended = new ArrayList<>(batch.admit(rows));
            while (batch.running() > 0) {
                ended.addAll(batch.step());
            }
            ended.forEach(f -> out[f.tag()] = f.completion());
        }
        return List.of(out);
    }

    /** The reference: fused weights built for the call from the weights as they are now. */
    private static List<Completion> decodeWithFreshWeights(PolicyModel model) {
        return new BatchGenerator(model).generate(ROWS);
    }

    private static void assertSameSamples(List<Completion> got, List<Completion> want) {
        assertThat(got).hasSameSizeAs(want);
        for (int i = 0; i < got.size(); i++) {
            assertThat(got.get(i).tokenIds())
                    .as("row %d tokens", i)
                    .containsExactly(want.get(i).tokenIds());
            float[] g = got.get(i).logprobs();
            float[] w = want.get(i).logprobs();
            for (int j = 0; j < w.length; j++) {
                assertThat(g[j]).as("row %d log-prob %d", i, j).isCloseTo(w[j], within(1e-5f));
            }
        }
    }

    @Test
    void aPushIntoARetiredVersionsStorageDecodesWithItsOwnFusedWeightsNotTheRetiredOnes() {
        push(1);
        List<Completion> v1Samples;
        DecodeWeights v1Fused;
        NDArray v1Embedding;
        try (PolicyLease v1 = replica.registry.acquire()) {
            v1Samples = decodeWithTheVersionsWeights(v1); // builds v1's fused weights
            v1Fused = v1.decodeWeights();
            v1Embedding = v1.model().weights().embedTokens();
        }
        push(2); // v1's last reference goes: its fused weights are freed, its storage waits for the next push
        assertThat(v1Fused.isOpen()).isFalse();

        push(3); // refills v1's storage with other weights

        try (PolicyLease v3 = replica.registry.acquire()) {
            assertThat(v3.model().weights().embedTokens()).isSameAs(v1Embedding); // the same storage, new values
            List<Completion> v3Samples = decodeWithTheVersionsWeights(v3);
            assertSameSamples(v3Samples, decodeWithFreshWeights(v3.model()));
            assertThat(v3Samples.getFirst().tokenIds())
                    .as("v3 samples differently from v1 (else this test could not see stale weights)")
                    .isNotEqualTo(v1Samples.getFirst().tokenIds());
        }
    }

    @Test
    void everyBatchOnAVersionSharesItsFusedWeightsAndTheNextVersionHasItsOwn() {
        DecodeWeights first;
        try (PolicyLease a = replica.registry.acquire();
                PolicyLease b = replica.registry.acquire()) {
            first = a.decodeWeights();
            assertThat(b.decodeWeights()).isSameAs(first);
            assertSameSamples(decodeWithTheVersionsWeights(b), decodeWithFreshWeights(b.model()));
        }
        assertThat(first.isOpen()).as("the version is still current").isTrue();

        push(1);

        assertThat(first.isOpen()).as("freed with version 0").isFalse();
        try (PolicyLease next = replica.registry.acquire()) {
            assertThat(next.decodeWeights()).isNotSameAs(first);
            assertSameSamples(decodeWithTheVersionsWeights(next), decodeWithFreshWeights(next.model()));
        }
    }
}
