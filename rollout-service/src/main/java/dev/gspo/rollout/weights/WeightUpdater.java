package dev.gspo.rollout.weights;

import ai.djl.ndarray.NDManager;
import dev.gspo.common.model.SafetensorsView;
import dev.gspo.common.wire.PolicyInfo;
import java.time.Instant;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Installs a pushed weight set: verify everything (checksum, framing, names, shapes, dtypes, finiteness), build the
 * new model in full, then swap it in. Any failure leaves the served version untouched.
 */
public final class WeightUpdater {
    private static final Logger log = LoggerFactory.getLogger(WeightUpdater.class);

    private final PolicyRegistry registry;
    private final NDManager manager;

    public WeightUpdater(PolicyRegistry registry, NDManager manager) {
        this.registry = registry;
        this.manager = manager;
    }

    public PolicyInfo install(PushHeaders headers, byte[] body) {
        registry.requireNewer(headers.version());
        SafetensorsView weights;
        try {
            weights = WeightsVerifier.verify(
                    body, headers.sha256(), registry.current().model().config());
        } catch (RejectedWeightsException e) {
            log.warn("rejected weight push for version {}: {}", headers.version(), e.getMessage());
            throw e;
        }
        ServedPolicy next = registry.swap(
                headers.version(),
                template -> new ServedPolicy(
                        headers.version(),
                        template.withWeights(weights, manager),
                        body,
                        headers.sha256(),
                        Instant.now()));
        log.info("serving policy version {} ({} bytes, sha256 {})", next.version(), body.length, next.sha256());
        return next.info();
    }
}
