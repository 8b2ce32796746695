package dev.gspo.optimizer.metrics;

import dev.gspo.optimizer.loop.RunListener;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.MeterBinder;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * {@code gspo.run.file.write.failures{file=checkpoint|metrics.jsonl|report}}: run files that could not be written (a
 * full disk, a read-only volume). The run goes on without them, so only this counter and the run's status tell.
 */
public final class RunFileMetrics implements RunListener, MeterBinder {
    static final List<String> FILES = List.of("checkpoint", "metrics.jsonl", "report");
    private final Map<String, Counter> failures = new ConcurrentHashMap<>();

    @Override
    public void bindTo(MeterRegistry registry) {
        for (String file : FILES) {
            failures.put(
                    file,
                    Counter.builder("gspo.run.file.write.failures")
                            .description("run files (checkpoints, metrics.jsonl, reports) that could not be written; "
                                    + "the run went on without them")
                            .tag("file", file)
                            .register(registry));
        }
    }

    @Override
    public void onWriteFailed(String file, long step, Exception error) {
        Counter c = failures.get(file);
        if (c != null) {
            c.increment();
        }
    }
}
