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

    private static long rowsOf(List<RowTicket> tickets, PendingRollout p) {
        return tickets.stream().filter(t -> t.request() == p).count();
    }

    @Test
    void admitsEveryRowWaitingWhenTheSlotsSuffice() {
        DecodeQueue queue = new DecodeQueue(100);
        PendingRollout a = pending(8);
        PendingRollout b = pending(4);
        PendingRollout c = pending(16);
        List.of(a, b, c).forEach(queue::add);

        List<RowTicket> tickets = queue.admit(64, true);

        assertThat(tickets).hasSize(28);
        assertThat(List.of(rowsOf(tickets, a), rowsOf(tickets, b), rowsOf(tickets, c)))
                .containsExactly(8L, 4L, 16L);
        assertThat(tickets.getFirst().request()).isSameAs(a);
        assertThat(List.of(a, b, c)).allMatch(PendingRollout::started);
        assertThat(queue.queuedSequences()).isZero();
        assertThat(queue.hasWaiting()).isFalse();
    }

    @Test
    void admitsARequestsRowsInOrderAsSlotsFreeUp() {
        DecodeQueue queue = new DecodeQueue(100);
        PendingRollout a = pending(8);
        queue.add(a);

        assertThat(queue.admit(3, true)).extracting(RowTicket::row).containsExactly(0, 1, 2);
        assertThat(queue.queuedSequences()).isEqualTo(5);
        assertThat(queue.admit(10, true)).extracting(RowTicket::row).containsExactly(3, 4, 5, 6, 7);
        assertThat(queue.queuedSequences()).isZero();
    }

    @Test
    void givesAFreeSlotToTheRequestWithTheFewestRowsRunningNotToTheEarliest() {
        DecodeQueue queue = new DecodeQueue(100);
        PendingRollout large = pending(8);
        queue.add(large);
        assertThat(queue.admit(4, true)).hasSize(4);
        PendingRollout small = pending(2);
        queue.add(small);

        assertThat(queue.admit(1, true)).extracting(RowTicket::request).containsExactly(small);
        assertThat(queue.admit(2, true)).extracting(RowTicket::request).containsExactly(small, large);
    }

    @Test
    void neverLetsOneRequestRunMoreThanItsShareSoReservedSlotsStayForOthers() {
        DecodeQueue queue = new DecodeQueue(100);
        PendingRollout large = pending(8);
        queue.add(large);

        assertThat(queue.admit(8, true, 6)).hasSize(6);
        assertThat(queue.admit(2, true, 6)).as("the 2 reserved slots stay free").isEmpty();
        PendingRollout small = pending(3);
        queue.add(small);
        assertThat(queue.admit(2, true, 6)).extracting(RowTicket::request).containsExactly(small, small);
    }

    @Test
    void whileDrainingOnlyStartedRequestsGetSlots() {
        DecodeQueue queue = new DecodeQueue(100);
        PendingRollout started = pending(4);
        queue.add(started);
        queue.admit(2, true);
        PendingRollout later = pending(2);
        queue.add(later);

        assertThat(queue.admit(10, false)).extracting(RowTicket::request).containsExactly(started, started);
        assertThat(later.started()).isFalse();
        assertThat(queue.queuedSequences()).isEqualTo(2);
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
    void aCancelledRequestFreesItsPlaceAndIsNeverDecoded() {
        DecodeQueue queue = new DecodeQueue(10);
        PendingRollout gone = pending(8);
        PendingRollout kept = pending(2);
        queue.add(gone);
        queue.add(kept);

        assertThat(queue.cancel(gone)).isTrue();
        queue.add(pending(8));
        assertThat(queue.admit(100, true))
                .extracting(RowTicket::request)
                .doesNotContain(gone)
                .contains(kept);
    }

    @Test
    void aStartedRequestCannotBeCancelled() {
        DecodeQueue queue = new DecodeQueue(10);
        PendingRollout p = pending(2);
        queue.add(p);
        queue.admit(1, true);

        assertThat(queue.cancel(p)).isFalse();
    }

    @Test
    void closingReturnsWhatHasNotStartedKeepsWhatHasAndRefusesMore() throws InterruptedException {
        DecodeQueue queue = new DecodeQueue(10);
        PendingRollout started = pending(3);
        PendingRollout waiting = pending(2);
        queue.add(started);
        queue.admit(1, true);
        queue.add(waiting);

        assertThat(queue.close()).containsExactly(waiting);
        assertThat(queue.awaitWork())
                .as("the started request's rows are still to decode")
                .isTrue();
        assertThat(queue.admit(10, true)).extracting(RowTicket::row).containsExactly(1, 2);
        assertThat(queue.awaitWork()).isFalse();
        assertThatThrownBy(() -> queue.add(pending(1))).isInstanceOf(DecoderStoppedException.class);
    }
}
