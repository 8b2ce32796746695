package dev.gspo.rollout.adapters;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.ndarray.NDManager;
import dev.gspo.common.decode.Completion;
import dev.gspo.common.decode.RunningBatch;
import dev.gspo.common.decode.RunningBatch.Admission;
import dev.gspo.common.decode.SamplingParams;
import dev.gspo.common.decode.SequenceRequest;
import dev.gspo.common.model.BuiltinModel;
import dev.gspo.common.model.LoraConfig;
import dev.gspo.common.model.PolicyModel;
import dev.gspo.rollout.support.LoraBodies;
import dev.gspo.rollout.weights.PolicyRegistry;
import dev.gspo.rollout.weights.PushHeaders;
import dev.gspo.rollout.weights.TestRegistries;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Versions of named adapters: leases keep a replaced or deleted version alive, and they guard the base. */
class AdapterRegistryTest {
    private static final LoraConfig LORA = LoraConfig.of(2, 4);
    private static final SequenceRequest ROW =
            new SequenceRequest(new int[] {1, 5, 6}, new SamplingParams(6, 1.0, 1.0, 0, List.of()), 9);

    @TempDir
    Path dir;

    @Test
    void rowsOnAReplacedOrDeletedVersionFinishOnItAndTheVersionIsFreedAfterTheirLease() {
        try (NDManager manager = NDManager.newBaseManager()) {
            PolicyModel model = BuiltinModel.create(BuiltinModel.config(), dir.resolve("m"), 1, manager);
            PolicyRegistry policies = TestRegistries.serving(model);
            AdapterRegistry adapters = new AdapterRegistry(policies, manager, 4);
            String base = policies.current().sha256();
            install(adapters, "a", 1, 1, base);
            int[] before = decode(model, adapters, "a").tokenIds();

            AdapterLease held = adapters.acquire("a"); // a request planned on version 1
            install(adapters, "a", 2, 2, base);
            assertThat(adapters.get("a").orElseThrow().version()).isEqualTo(2);
            assertThat(held.version()).isEqualTo(1);
            assertThat(decodeWith(model, held)).as("version 1, still open").isEqualTo(before);
            assertThat(decode(model, adapters, "a").tokenIds())
                    .as("version 2 differs")
                    .isNotEqualTo(before);

            AdapterLease deleted = adapters.acquire("a");
            adapters.delete("a");
            assertThatThrownBy(() -> adapters.acquire("a")).isInstanceOf(AdapterProblem.class);
            decodeWith(model, deleted); // a deleted version decodes until its last request ends
            deleted.close();
            held.close();
            assertThatThrownBy(() -> decodeWith(model, held))
                    .as("the last lease freed version 1's arrays")
                    .isInstanceOf(RuntimeException.class);
            adapters.close();
            policies.close();
        }
    }

    @Test
    void theServedWeightsCannotChangeWhileAnAdapterIsLoaded() {
        try (NDManager manager = NDManager.newBaseManager()) {
            PolicyModel model = BuiltinModel.create(BuiltinModel.config(), dir.resolve("m"), 1, manager);
            PolicyModel other = BuiltinModel.create(BuiltinModel.config(), dir.resolve("o"), 2, manager);
            PolicyRegistry policies = TestRegistries.serving(model);
            AdapterRegistry adapters = new AdapterRegistry(policies, manager, 4);
            install(adapters, "a", 1, 1, policies.current().sha256());

            assertThatThrownBy(() -> TestRegistries.swap(policies, 1, other))
                    .isInstanceOfSatisfying(AdapterProblem.class, e -> {
                        assertThat(e.reason()).isEqualTo("adapters_loaded");
                        assertThat(e.getMessage()).contains("[a]");
                    });
            assertThat(policies.current().version()).isZero();

            adapters.delete("a");
            TestRegistries.swap(policies, 1, other);
            assertThat(policies.current().version()).isEqualTo(1);
            adapters.close();
            policies.close();
        }
    }

    private static void install(AdapterRegistry adapters, String name, long version, long seed, String base) {
        byte[] body = LoraBodies.body(LORA, LoraBodies.adapter(BuiltinModel.config(), LORA, seed));
        adapters.install(name, new PushHeaders(version, PolicyModel.sha256(body)), base, body);
    }

    private static Completion decode(PolicyModel model, AdapterRegistry adapters, String name) {
        try (AdapterLease lease = adapters.acquire(name)) {
            List<Completion> out = new ArrayList<>();
            try (RunningBatch<Integer> batch = new RunningBatch<>(model, 2, 16)) {
                batch.admit(List.of(new Admission<>(0, ROW, lease.decode()))).forEach(f -> out.add(f.completion()));
                while (batch.running() > 0) {
                    batch.step().forEach(f -> out.add(f.completion()));
                }
            }
            return out.getFirst();
        }
    }

    private static int[] decodeWith(PolicyModel model, AdapterLease lease) {
        List<Completion> out = new ArrayList<>();
        try (RunningBatch<Integer> batch = new RunningBatch<>(model, 2, 16)) {
            batch.admit(List.of(new Admission<>(0, ROW, lease.decode()))).forEach(f -> out.add(f.completion()));
            while (batch.running() > 0) {
                batch.step().forEach(f -> out.add(f.completion()));
            }
        }
        return out.getFirst().tokenIds();
    }
}
