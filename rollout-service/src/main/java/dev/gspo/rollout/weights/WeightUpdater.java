package dev.gspo.rollout.weights;

import ai.djl.ndarray.NDManager;
import dev.gspo.common.model.PolicyModel;
import dev.gspo.common.replica.AdapterInstall;
import dev.gspo.common.replica.PushStages;
import dev.gspo.common.replica.RejectedWeightsException;
import dev.gspo.common.replica.RetiredWeights;
import dev.gspo.common.replica.WeightInstall;
import dev.gspo.common.wire.PolicyInfo;
import java.time.Instant;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Installs a pushed weight set: verify everything (checksum, framing, names, shapes, dtypes, finiteness) and build the
 * new model in full ({@link WeightInstall}, as an in-process replica does), then swap it in. Any failure leaves the
 * served version untouched. Verifying and building run inside {@link PolicyRegistry#swap}, so concurrent pushes are
 * checked one after the other; sampling never waits for them.
 *
 * <p>A version installed by a full push hands its storage to {@link #retired} once its last reference is released
 * (the registry's and every decode batch's: {@link ServedPolicy}), and the next full push refills that storage
 * instead of allocating new memory: no first-touch page faults, and never a version a batch still decodes on.
 */
public final class WeightUpdater {
    private static final Logger log = LoggerFactory.getLogger(WeightUpdater.class);

    private final PolicyRegistry registry;
    private final NDManager manager;
    private final PushMeters meters;
    private final RetiredWeights retired = new RetiredWeights();

    public WeightUpdater(PolicyRegistry registry, NDManager manager, PushMeters meters) {
        this.registry = registry;
        this.manager = manager;
        this.meters = meters;
    }

    /**
     * Installs a pushed LoRA adapter ({@link AdapterInstall}): verified against the served model and the base this
     * replica keeps ({@code baseSha256} must be the SHA-256 of its last full push), merged into that base, swapped in.
     */
    public PolicyInfo installAdapter(PushHeaders headers, String baseSha256, byte[] body) {
        registry.requireNewer(headers.version());
        ServedPolicy next;
        try {
            next = registry.swapServed(headers.version(), served -> {
                AdapterInstall.Verified v =
                        AdapterInstall.verify(body, headers.sha256(), baseSha256, served.baseSha256(), served.model());
                AdapterInstall.Built built = AdapterInstall.build(served.model(), served.baseSafetensors(), v, manager);
                return new ServedPolicy(
                        headers.version(),
                        built.model(),
                        built.safetensors(),
                        PolicyModel.sha256(built.safetensors()),
                        Instant.now(),
                        served.baseSafetensors(),
                        served.baseSha256(),
                        new PolicyInfo.Adapter(
                                headers.sha256(),
                                v.lora().rank(),
                                v.lora().alpha(),
                                v.lora().targets(),
                                body.length));
            });
        } catch (RejectedWeightsException e) {
            log.warn("rejected adapter push for version {}: {}", headers.version(), e.getMessage());
            throw e;
        }
        log.info(
                "serving policy version {}: base {} + adapter ({} bytes, sha256 {})",
                next.version(),
                next.baseSha256(),
                body.length,
                headers.sha256());
        return next.info();
    }

    /** Where retired full-push versions' storage waits to be refilled (one set at most). */
    RetiredWeights retired() {
        return retired;
    }

    /**
     * Installs a full push whose body is hashed as it is received ({@link PushBody#receive}): its content is checked
     * and the model built while the hashing thread finishes the digest, which is compared before anything is swapped
     * in ({@link WeightInstall#buildWhileHashing}). {@code stages} has timed the read, and times the rest here; they
     * are recorded once the new version serves.
     */
    PolicyInfo install(PushHeaders headers, PushBody.Received body, PushStages stages) {
        registry.requireNewer(headers.version());
        ServedPolicy next;
        try {
            next = registry.swap(headers.version(), served -> {
                PolicyModel model = WeightInstall.buildWhileHashing(
                        served, body.bytes(), body::sha256, headers.sha256(), manager, stages, retired);
                return new ServedPolicy(
                        headers.version(), model, body.bytes(), headers.sha256(), Instant.now(), retired::retire);
            });
        } catch (RejectedWeightsException e) {
            log.warn("rejected weight push for version {}: {}", headers.version(), e.getMessage());
            throw e;
        }
        stages.lap(PushStages.SWAP);
        stages.finish();
        meters.record(stages);
        log.info("serving policy version {} ({} bytes, sha256 {})", next.version(), body.bytes().length, next.sha256());
        return next.info();
    }
}
