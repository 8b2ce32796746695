package dev.gspo.rollout.batching;

import static org.assertj.core.api.Assertions.assertThat;

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
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.function.LongConsumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The decode worker batches continuously. Requests arrive at chosen decode steps (the listener runs on the decode
 * thread between steps), and each row's length is known beforehand by decoding it alone (a row's tokens do not depend
 * on its batch mates): what is checked is the order of completions and the step counts, never the wall clock.
 */
class ContinuousBatchingTest {
    @TempDir
    Path dir;

    /** Records what the worker reports, and adds requests at given steps. */
    static final class Recorder implements BatchListener {
        final List<Integer> completedRequestSizes = Collections.synchronizedList(new ArrayList<>());
        final List<Long> completedAtStep = Collections.synchronizedList(new ArrayList<>());
        volatile int mostRunning;
        volatile long lastStep;
        volatile LongConsumer atStep = s -> {};

        @Override
        public void batchDecoded(int sequences, int requests, long generatedTokens, long policyVersion) {}

        @Override
        public void requestDecoded(int sequences, long generatedTokens, long policyVersion) {
            completedRequestSizes.add(sequences);
            completedAtStep.add(lastStep + 1); // called while step lastStep + 1 hands back its rows, before its report
        }

        @Override
        public void stepDecoded(long step, int decoded, int running, int freeSlots) {
            if (decoded > 0) {
                lastStep = step;
                mostRunning = Math.max(mostRunning, decoded);
                atStep.accept(step);
            }
        }
    }

    private PolicyModel model(NDManager manager, long seed, String name) {
        return BuiltinModel.create(BuiltinModel.config(), dir.resolve(name), seed, manager);
    }

    private static List<SequenceRequest> rows(int n, int maxNewTokens, long seed) {
        List<SequenceRequest> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            out.add(new SequenceRequest(
                    new int[] {1, 4 + i % 5, 5}, new SamplingParams(maxNewTokens, 1.0, 1, 0, null), seed + i));
        }
        return out;
    }

    @Test
    void aLateRequestJoinsTheRunningBatchAndEndsLongBeforeTheLongOne() throws Exception {
        try (NDManager manager = NDManager.newBaseManager();
                PolicyRegistry registry = TestRegistries.serving(model(manager, 1, "v0"))) {
            List<SequenceRequest> longRows = rows(2, 40, 10);
            List<SequenceRequest> lateRows = rows(1, 3, 20);
            int[] longLengths = lengthsAlone(registry, longRows);
            int lateLength = lengthsAlone(registry, lateRows)[0];
            assertThat(Math.min(longLengths[0], longLengths[1]))
                    .as("precondition: the long rows outlast the late one")
                    .isGreaterThan(5 + 3 + 1);
            DecodeQueue queue = new DecodeQueue(100);
            Recorder recorder = new Recorder();
            DecodeWorker worker = new DecodeWorker(queue, registry, 8, recorder);
            PendingRollout longOne = new PendingRollout(longRows);
            PendingRollout late = new PendingRollout(lateRows);
            recorder.atStep = step -> {
                if (step == 5) {
                    queue.add(late);
                }
            };
            queue.add(longOne);

            worker.start();
            longOne.result().get();
            DecodedRollout lateResult = late.result().get();
            worker.stop();

            long longEnd = Math.max(longLengths[0], longLengths[1]) - 1L; // a prefill, then one step per token
            assertThat(recorder.completedRequestSizes).containsExactly(1, 2);
            // the late row: its first token at its prefill right after step 5, one token per step from step 6 on
            assertThat(recorder.completedAtStep).containsExactly(5L + lateLength - 1, longEnd);
            assertThat(recorder.mostRunning)
                    .as("the late row decoded beside the long rows")
                    .isEqualTo(3);
            assertThat(recorder.lastStep).as("it added no step of its own").isEqualTo(longEnd);
            assertThat(lateResult.completions()).singleElement().satisfies(c -> assertThat(c.tokenIds())
                    .hasSize(lateLength));
        }
    }

    @Test
    void aShortRequestArrivingWhileALargeOneHoldsEverySlotGetsTheNextFreeSlotAndEndsFirst() throws Exception {
        try (NDManager manager = NDManager.newBaseManager();
                PolicyRegistry registry = TestRegistries.serving(model(manager, 1, "v0"))) {
            List<SequenceRequest> largeRows = rows(4, 30, 10); // 4 rows, 2 slots
            List<SequenceRequest> smallRows = rows(1, 3, 20);
            int[] largeLengths = lengthsAlone(registry, largeRows);
            assertThat(Math.min(largeLengths[0], largeLengths[1]))
                    .as("precondition: the large request's first rows run past the small one's arrival")
                    .isGreaterThan(5);
            DecodeQueue queue = new DecodeQueue(100);
            Recorder recorder = new Recorder();
            PendingRollout large = new PendingRollout(largeRows);
            PendingRollout small = new PendingRollout(smallRows);
            long[] firstFreeSlot = {-1};
            recorder.atStep = step -> {
                if (step == 3) {
                    queue.add(small);
                }
            };
            BatchListener watchSlots = new BatchListener() {
                @Override
                public void batchDecoded(int sequences, int requests, long generatedTokens, long policyVersion) {}

                @Override
                public void requestDecoded(int sequences, long generatedTokens, long policyVersion) {
                    recorder.requestDecoded(sequences, generatedTokens, policyVersion);
                }

                @Override
                public void stepDecoded(long step, int decoded, int running, int freeSlots) {
                    recorder.stepDecoded(step, decoded, running, freeSlots);
                    if (decoded > 0 && step >= 3 && freeSlots > 0 && firstFreeSlot[0] < 0) {
                        firstFreeSlot[0] = step;
                    }
                }
            };
            DecodeWorker worker = new DecodeWorker(queue, registry, 2, watchSlots);
            queue.add(large);

            worker.start();
            large.result().get();
            small.result().get();
            worker.stop();

            // the first slot freed after its arrival went to the small request (fewest rows running), not to the
            // large request's rows still waiting, although the large request arrived first
            assertThat(recorder.completedRequestSizes).containsExactly(1, 4);
            assertThat(recorder.completedAtStep.getFirst())
                    .as(
                            "the small request's own 3 tokens (a prefill, 2 steps) after the first slot freed at step %d",
                            firstFreeSlot[0])
                    .isLessThanOrEqualTo(firstFreeSlot[0] + 2);
        }
    }

    @Test
    void withReservedSlotsAShortRequestStartsAtOnceBesideALargeOneHoldingEverythingElse() throws Exception {
        try (NDManager manager = NDManager.newBaseManager();
                PolicyRegistry registry = TestRegistries.serving(model(manager, 1, "v0"))) {
            List<SequenceRequest> largeRows = rows(8, 30, 10); // 8 rows; 4 slots, 1 reserved: 3 run at once
            List<SequenceRequest> smallRows = rows(1, 3, 20);
            int[] largeLengths = lengthsAlone(registry, largeRows);
            int smallLength = lengthsAlone(registry, smallRows)[0];
            assertThat(Arrays.stream(largeLengths, 0, 3).min().orElseThrow())
                    .as("precondition: the large request's first rows outlast the small one")
                    .isGreaterThan(3 + smallLength + 1);
            DecodeQueue queue = new DecodeQueue(100);
            Recorder recorder = new Recorder();
            DecodeWorker worker = new DecodeWorker(queue, registry, 4, 0, 1, recorder);
            PendingRollout large = new PendingRollout(largeRows);
            PendingRollout small = new PendingRollout(smallRows);
            recorder.atStep = step -> {
                if (step == 3) {
                    queue.add(small);
                }
            };
            queue.add(large);

            worker.start();
            large.result().get();
            small.result().get();
            worker.stop();

            assertThat(recorder.completedRequestSizes).containsExactly(1, 8);
            assertThat(recorder.completedAtStep.getFirst())
                    .as("prefilled right after step 3 into the reserved slot, then one step per further token")
                    .isEqualTo(3L + smallLength - 1);
            assertThat(recorder.mostRunning).isEqualTo(4);
        }
    }

    private static int[] lengthsAlone(PolicyRegistry registry, List<SequenceRequest> rows) {
        List<Completion> alone = new BatchGenerator(registry.current().model()).generate(rows);
        return alone.stream().mapToInt(c -> c.tokenIds().length).toArray();
    }

    @Test
    void rowsInFlightFinishOnTheirVersionAndLaterRequestsDecodeOnTheNewOne() throws Exception {
        try (NDManager manager = NDManager.newBaseManager()) {
            PolicyModel v0 = model(manager, 1, "v0");
            PolicyModel v1 = model(manager, 2, "v1");
            List<SequenceRequest> longRows = rows(2, 30, 10);
            List<SequenceRequest> lateRows = rows(2, 4, 20);
            List<Completion> longOnV0 = new BatchGenerator(v0).generate(longRows);
            List<Completion> lateOnV1 = new BatchGenerator(v1).generate(lateRows);
            try (PolicyRegistry registry = TestRegistries.serving(v0)) {
                DecodeQueue queue = new DecodeQueue(100);
                Recorder recorder = new Recorder();
                DecodeWorker worker = new DecodeWorker(queue, registry, 8, recorder);
                PendingRollout longOne = new PendingRollout(longRows);
                PendingRollout late = new PendingRollout(lateRows);
                recorder.atStep = step -> {
                    if (step == 3) {
                        TestRegistries.swap(registry, 1, v1);
                        queue.add(late);
                    }
                };
                queue.add(longOne);

                worker.start();
                DecodedRollout longResult = longOne.result().get();
                DecodedRollout lateResult = late.result().get();
                worker.stop();

                assertThat(longResult.policyVersion()).isZero();
                assertThat(lateResult.policyVersion()).isEqualTo(1);
                assertThat(recorder.completedRequestSizes)
                        .as("the late request waited for the old version's rows to drain")
                        .containsExactly(2, 2);
                for (int i = 0; i < 2; i++) {
                    assertThat(longResult.completions().get(i).tokenIds())
                            .isEqualTo(longOnV0.get(i).tokenIds());
                    assertThat(lateResult.completions().get(i).tokenIds())
                            .isEqualTo(lateOnV1.get(i).tokenIds());
                }
            }
        }
    }
}
