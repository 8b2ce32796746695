package dev.gspo.rollout.batching;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.gspo.common.decode.SamplingParams;
import dev.gspo.common.decode.SequenceRequest;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.Test;

class DecodeQueueTest {

    static PendingRollout pending(int sequences) {
        SequenceRequest row = new SequenceRequest(new int[] {1, 2}, new SamplingParams(4, 1.0, 1, 0, null), 7);
        return new PendingRollout(Collections.nCopies(sequences, row));
    }

    @Test
    void takesEverythingWaitingIntoOneBatchInArrivalOrder() throws InterruptedException {
        DecodeQueue queue = new DecodeQueue(100);
        PendingRollout a = pending(8);
        PendingRollout b = pending(4);
        PendingRollout c = pending(16);
        List.of(a, b, c).forEach(queue::add);

        assertThat(queue.takeBatch(64)).containsExactly(a, b, c);
        assertThat(queue.queuedSequences()).isZero();
    }

    @Test
    void neverSplitsARequestAndLeavesWhatDoesNotFitForTheNextBatch() throws InterruptedException {
        DecodeQueue queue = new DecodeQueue(100);
        PendingRollout a = pending(8);
        PendingRollout b = pending(8);
        PendingRollout c = pending(2);
        List.of(a, b, c).forEach(queue::add);

        assertThat(queue.takeBatch(12)).containsExactly(a);
        assertThat(queue.takeBatch(12)).containsExactly(b, c);
    }

    @Test
    void alwaysTakesAtLeastOneRequest() throws InterruptedException {
        DecodeQueue queue = new DecodeQueue(100);
        PendingRollout big = pending(20);
        queue.add(big);

        assertThat(queue.takeBatch(8)).containsExactly(big);
    }

    @Test
    void refusesRequestsBeyondItsCapacityInSequences() {
        DecodeQueue queue = new DecodeQueue(10);
        queue.add(pending(8));

        assertThatThrownBy(() -> queue.add(pending(3)))
                .isInstanceOf(QueueFullException.class)
                .hasMessageContaining("gspo.rollout.max-queued-sequences 10");
        queue.add(pending(2));
        assertThat(queue.queuedSequences()).isEqualTo(10);
    }

    @Test
    void aCancelledRequestFreesItsPlaceAndIsNeverDecoded() throws InterruptedException {
        DecodeQueue queue = new DecodeQueue(10);
        PendingRollout gone = pending(8);
        PendingRollout kept = pending(2);
        queue.add(gone);
        queue.add(kept);

        assertThat(queue.cancel(gone)).isTrue();
        queue.add(pending(8));
        assertThat(queue.takeBatch(100)).doesNotContain(gone).contains(kept);
    }

    @Test
    void aRequestAlreadyTakenCannotBeCancelled() throws InterruptedException {
        DecodeQueue queue = new DecodeQueue(10);
        PendingRollout p = pending(2);
        queue.add(p);
        queue.takeBatch(10);

        assertThat(queue.cancel(p)).isFalse();
    }

    @Test
    void closingReturnsWhatWaitedAndRefusesMore() throws InterruptedException {
        DecodeQueue queue = new DecodeQueue(10);
        PendingRollout p = pending(2);
        queue.add(p);

        assertThat(queue.close()).containsExactly(p);
        assertThat(queue.takeBatch(10)).isEmpty();
        assertThatThrownBy(() -> queue.add(pending(1))).isInstanceOf(DecoderStoppedException.class);
    }
}
