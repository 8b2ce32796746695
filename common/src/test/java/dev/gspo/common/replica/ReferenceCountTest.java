package dev.gspo.common.replica;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class ReferenceCountTest {

    @Test
    void theLastReleaseRunsTheActionOnceAndNotBefore() {
        AtomicInteger runs = new AtomicInteger();
        ReferenceCount count = new ReferenceCount("thing", runs::incrementAndGet);
        assertThat(count.retain()).isTrue(); // a reader: 2 references

        count.release(); // the registry lets go; the reader still holds it
        assertThat(runs).hasValue(0);
        assertThat(count.released()).isFalse();

        count.release();
        assertThat(runs).hasValue(1);
        assertThat(count.released()).isTrue();
    }

    @Test
    void aReleasedThingCanNeverBeRetainedAgain() {
        ReferenceCount count = new ReferenceCount("thing", () -> {});
        count.release();

        assertThat(count.retain()).isFalse();
        assertThat(count.released()).isTrue();
    }

    @Test
    void releasingMoreOftenThanRetainedIsAnErrorNamingTheThing() {
        AtomicInteger runs = new AtomicInteger();
        ReferenceCount count = new ReferenceCount("policy version 7", runs::incrementAndGet);
        count.release();

        assertThatThrownBy(count::release)
                .isInstanceOf(IllegalStateException.class)
                .hasMessage("policy version 7 released more often than retained");
        assertThat(runs).hasValue(1);
    }

    @Test
    void readersRacingTheLastReleaseEitherGetAReferenceOrNone() throws Exception {
        for (int round = 0; round < 200; round++) {
            AtomicInteger runs = new AtomicInteger();
            ReferenceCount count = new ReferenceCount("thing", runs::incrementAndGet);
            CountDownLatch start = new CountDownLatch(1);
            List<Thread> readers = new ArrayList<>();
            for (int r = 0; r < 4; r++) {
                readers.add(Thread.ofPlatform().start(() -> {
                    await(start);
                    if (count.retain()) { // a reader that got in uses the thing and lets go
                        count.release();
                    }
                }));
            }
            start.countDown();
            count.release(); // the registry's reference, racing the readers
            for (Thread t : readers) {
                t.join();
            }
            assertThat(runs).as("round %d", round).hasValue(1);
            assertThat(count.retain()).isFalse();
        }
    }

    private static void await(CountDownLatch latch) {
        try {
            latch.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
