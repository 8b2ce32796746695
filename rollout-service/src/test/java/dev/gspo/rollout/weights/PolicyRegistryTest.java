package dev.gspo.rollout.weights;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.ndarray.NDManager;
import dev.gspo.common.decode.BatchGenerator;
import dev.gspo.common.decode.SamplingParams;
import dev.gspo.common.decode.SequenceRequest;
import dev.gspo.common.model.BuiltinModel;
import dev.gspo.common.model.PolicyModel;
import dev.gspo.common.model.Safetensors;
import dev.gspo.rollout.support.WeightSets;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A version is closed only when nothing uses it any more; swaps are all-or-nothing and only move forward. */
class PolicyRegistryTest {
    @TempDir
    Path dir;

    NDManager manager;
    PolicyRegistry registry;
    ServedPolicy v0;

    @BeforeEach
    void setUp() {
        manager = NDManager.newBaseManager();
        v0 = ServedPolicy.fromModel(0, BuiltinModel.create(dir, 3, manager));
        registry = new PolicyRegistry(v0);
    }

    @AfterEach
    void tearDown() {
        registry.close();
        manager.close();
    }

    ServedPolicy version(long v, PolicyModel template) {
        byte[] bytes = WeightSets.randomBytes(template.config(), v);
        return new ServedPolicy(
                v,
                template.withWeights(Safetensors.read(bytes), manager),
                bytes,
                PolicyModel.sha256(bytes),
                Instant.now());
    }

    @Test
    void aVersionLeasedByARunningBatchStaysOpenUntilTheBatchEnds() {
        PolicyLease batch = registry.acquire();

        registry.swap(1, t -> version(1, t));

        assertThat(registry.current().version()).isEqualTo(1);
        assertThat(v0.retired()).isFalse();
        var out = new BatchGenerator(batch.model())
                .generate(List.of(new SequenceRequest(new int[] {1, 2}, new SamplingParams(3, 1.0, 1, 0, null), 1)));
        assertThat(out).hasSize(1);
        batch.close();
        assertThat(v0.retired()).isTrue();
        assertThat(v0.model().weights().embedTokens().isReleased()).isTrue();
    }

    @Test
    void aVersionRetiredByARacingSwapStillDescribesItself() {
        // the answer to a push is built after its swap: a faster, newer push may have retired that version already
        ServedPolicy v1 = registry.swap(1, t -> version(1, t));
        registry.swap(2, t -> version(2, t));

        assertThat(v1.retired()).isTrue();
        assertThat(v1.info().version()).isEqualTo(1);
        assertThat(v1.info().parameters()).isEqualTo(v0.info().parameters());
        assertThat(v1.info().sha256()).isEqualTo(v1.sha256());
    }

    @Test
    void anUnusedVersionIsRetiredAsSoonAsItIsReplaced() {
        registry.swap(1, t -> version(1, t));

        assertThat(v0.retired()).isTrue();
        try (PolicyLease lease = registry.acquire()) {
            assertThat(lease.version()).isEqualTo(1);
        }
    }

    @Test
    void aFailedBuildLeavesTheOldVersionServing() {
        assertThatThrownBy(() -> registry.swap(1, t -> {
                    throw new IllegalStateException("out of memory, say");
                }))
                .isInstanceOf(IllegalStateException.class);

        assertThat(registry.current()).isSameAs(v0);
        assertThat(v0.retired()).isFalse();
    }

    @Test
    void versionsOnlyMoveForward() {
        registry.swap(2, t -> version(2, t));
        AtomicBoolean built = new AtomicBoolean();

        for (long stale : new long[] {2, 1, 0}) {
            assertThatThrownBy(() -> registry.swap(stale, t -> {
                        built.set(true);
                        return version(stale, t);
                    }))
                    .isInstanceOf(StaleVersionException.class)
                    .hasMessageContaining("only move forward");
        }
        assertThat(built).isFalse();
        assertThat(registry.current().version()).isEqualTo(2);
    }

    @Test
    void aLeaseReleasesItsReferenceOnlyOnce() {
        PolicyLease lease = registry.acquire();
        lease.close();
        lease.close();

        assertThat(v0.retired()).isFalse();
    }
}
