package dev.gspo.rollout.weights;

import ai.djl.ndarray.NDManager;
import dev.gspo.common.model.BuiltinModel;
import dev.gspo.common.model.PolicyModel;
import dev.gspo.common.replica.PushStages;
import dev.gspo.rollout.support.WeightSets;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Path;

/**
 * A replica's weights as a push sees them, without HTTP: the registry serving the built-in model as version 0 and the
 * updater that installs verified pushes into it (with its slot for a retired version's storage). For tests that push
 * versions and look at what is served, leased or refilled.
 */
final class ReplicaUnderPush implements AutoCloseable {
    final NDManager manager = NDManager.newBaseManager();
    final PolicyRegistry registry;
    final WeightUpdater updater;

    ReplicaUnderPush(Path dir) {
        registry = new PolicyRegistry(ServedPolicy.fromModel(0, BuiltinModel.create(dir, 3, manager)));
        updater = new WeightUpdater(registry, manager, new PushMeters(new SimpleMeterRegistry()));
    }

    /** Pushes random weights (seeded by the version) as {@code version}, announced with their own SHA-256. */
    byte[] push(long version) {
        byte[] bytes = WeightSets.randomBytes(registry.current().model().config(), 1_000 + version);
        push(version, bytes, PolicyModel.sha256(bytes));
        return bytes;
    }

    /** Pushes {@code bytes} as {@code version}, announced with {@code announcedSha256} (a wrong one is refused). */
    void push(long version, byte[] bytes, String announcedSha256) {
        updater.install(
                new PushHeaders(version, announcedSha256),
                PushBody.Received.hashed(bytes, PolicyModel.sha256(bytes)),
                new PushStages());
    }

    @Override
    public void close() {
        registry.close();
        updater.retired().close();
        manager.close();
    }
}
