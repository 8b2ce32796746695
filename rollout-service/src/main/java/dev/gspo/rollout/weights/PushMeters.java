package dev.gspo.rollout.weights;

import dev.gspo.common.replica.PushStages;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;

/**
 * The stage profile of installed weight pushes: {@code gspo.rollout.push.stage} (timer, tag {@code stage} = {@code
 * read} | {@code hash} | {@code sha256} | {@code parse} | {@code build} (which includes the check for non-finite
 * values) | {@code swap}, and {@code hash-thread}, the hashing thread's busy time, which overlaps {@code read}; see
 * {@link PushStages}) and {@code
 * gspo.rollout.push.cpu} (timer: CPU time of the request thread over the whole push, from the first byte read to the
 * swap, plus the hashing thread's; replicas that share a machine share its cores, so this, not the wall time, is what one push costs the
 * machine). Recorded for installed pushes only.
 */
public final class PushMeters {
    public static final String STAGE = "gspo.rollout.push.stage";
    public static final String CPU = "gspo.rollout.push.cpu";

    private final MeterRegistry registry;
    private final Timer cpu;

    public PushMeters(MeterRegistry registry) {
        this.registry = registry;
        this.cpu = Timer.builder(CPU)
                .description("CPU time of the request and hashing threads per installed weight push")
                .register(registry);
    }

    void record(PushStages stages) {
        stages.nanos().forEach((stage, nanos) -> Timer.builder(STAGE)
                .description("wall time per stage of an installed weight push")
                .tag("stage", stage)
                .register(registry)
                .record(Duration.ofNanos(nanos)));
        if (stages.cpuNanos() >= 0) {
            cpu.record(Duration.ofNanos(stages.cpuNanos()));
        }
    }
}
