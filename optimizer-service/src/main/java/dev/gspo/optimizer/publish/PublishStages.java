package dev.gspo.optimizer.publish;

import dev.gspo.optimizer.loop.PolicySink;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.MeterBinder;
import java.time.Duration;
import java.util.function.Supplier;

/**
 * The optimizer's side of the stage profile of a weight push: {@code gspo.publish.stage} (timer, tag {@code stage}):
 * {@link #SERIALISE} and {@link #SHA256} once per version (timed by whoever serialises it: the training loop through
 * {@code PolicySink#recordStage}, the bench with {@link #time}), {@link #COPY} (the heap → off-heap copy of a version,
 * {@code DirectSendBuffers}, recorded per slice by the push that copies it while sending: once per version), then per
 * replica and attempt {@link #SEND} (from the request being sent until the HTTP client has taken the body's last
 * slice: the transfer, as far as the socket's buffers let the client run ahead of the replica) and {@link #ANSWER}
 * (from there until the replica's answer: what the replica does after the last byte, i.e. verify, build, swap).
 * Recorded once bound to a registry (Spring Boot binds a {@link MeterBinder} bean at start-up); a no-op before.
 */
public final class PublishStages implements MeterBinder {
    public static final String METER = "gspo.publish.stage";
    public static final String SERIALISE = PolicySink.STAGE_SERIALISE;
    public static final String SHA256 = PolicySink.STAGE_SHA256;
    public static final String COPY = "copy";
    public static final String SEND = "send";
    public static final String ANSWER = "answer";

    private volatile MeterRegistry registry;

    @Override
    public void bindTo(MeterRegistry r) {
        this.registry = r;
    }

    /** Adds {@code nanos} to {@code stage}. */
    public void record(String stage, long nanos) {
        MeterRegistry r = registry;
        if (r != null) {
            Timer.builder(METER)
                    .description("wall time per stage of publishing a weight version")
                    .tag("stage", stage)
                    .register(r)
                    .record(Duration.ofNanos(nanos));
        }
    }

    /** Runs {@code work}, recording its wall time under {@code stage}. */
    public <T> T time(String stage, Supplier<T> work) {
        long t0 = System.nanoTime();
        try {
            return work.get();
        } finally {
            record(stage, System.nanoTime() - t0);
        }
    }
}
