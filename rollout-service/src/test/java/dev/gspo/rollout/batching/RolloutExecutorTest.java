package dev.gspo.rollout.batching;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Waiting is always bounded; the queue's state afterwards is what matters, not how long anything took. */
class RolloutExecutorTest {

    @Test
    void withdrawsARequestThatWaitedTooLongForTheDecoder() {
        DecodeQueue queue = new DecodeQueue(100); // no worker: nothing is ever taken
        RolloutExecutor executor = new RolloutExecutor(queue, Duration.ofMillis(20), Duration.ofMillis(40));

        assertThatThrownBy(() -> executor.run(DecodeQueueTest.pending(3).rows()))
                .isInstanceOf(RolloutTimeoutException.class)
                .hasMessageContaining("gspo.rollout.max-queue-wait");
        assertThat(queue.queuedSequences()).isZero();
    }

    @Test
    void abandonsARequestThatDecodesPastTheRequestTimeout() throws Exception {
        DecodeQueue queue = new DecodeQueue(100);
        RolloutExecutor executor = new RolloutExecutor(queue, Duration.ofSeconds(30), Duration.ofSeconds(30));
        RolloutExecutor impatient = new RolloutExecutor(queue, Duration.ofMillis(30), Duration.ofMillis(30));
        Thread taker = Thread.ofPlatform().start(() -> {
            try {
                queue.awaitWork();
                List<RowTicket> taken = queue.admit(100, true); // taken, then never completed
                assertThat(taken).hasSize(2);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });

        assertThatThrownBy(() -> impatient.run(DecodeQueueTest.pending(2).rows()))
                .isInstanceOf(RolloutTimeoutException.class);
        taker.join();
        assertThat(executor.queuedSequences()).isZero();
    }

    @Test
    void refusesAtOnceWhenTheQueueIsFull() {
        DecodeQueue queue = new DecodeQueue(4);
        queue.add(DecodeQueueTest.pending(4));
        RolloutExecutor executor = new RolloutExecutor(queue, Duration.ofSeconds(30), Duration.ofSeconds(30));

        assertThatThrownBy(() -> executor.run(DecodeQueueTest.pending(1).rows()))
                .isInstanceOf(QueueFullException.class);
    }
}
