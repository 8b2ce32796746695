package dev.gspo.experiments;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import ai.djl.ndarray.NDManager;
import dev.gspo.common.decode.Completion;
import dev.gspo.common.decode.SamplingParams;
import dev.gspo.common.model.BuiltinModel;
import dev.gspo.common.model.PolicyModel;
import dev.gspo.optimizer.fleet.FleetClient;
import dev.gspo.optimizer.fleet.FleetException;
import dev.gspo.optimizer.fleet.StaticEndpoints;
import dev.gspo.optimizer.loop.PublishResult;
import dev.gspo.optimizer.loop.RolloutBatch;
import dev.gspo.optimizer.publish.PolicyPublisher;
import dev.gspo.optimizer.publish.WeightPublisher;
import dev.gspo.rollout.RolloutApplication;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.MeterRegistry;
import java.net.URI;
import java.net.http.HttpClient;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.web.server.context.WebServerApplicationContext;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * The experiments' in-process replica against a real rollout-service started in this JVM on the same model directory,
 * both driven through the optimizer's own interfaces: {@link FleetClient} and {@link PolicyPublisher} over HTTP to
 * the service (the production path, a one-replica fleet), {@link InProcessRollouts} and {@link InProcessReplica} on
 * the other side. The same step (prompts, group size, sampling, seed) must give the same samples: equal token ids,
 * text and finish reasons, log-probs within 1e-5, from the same policy version, before and after a published version,
 * and whatever decode batches the service's queue packs the rows into.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ReplicaAgreementTest {
    private static final String PUSH_TOKEN = "agreement-push-token";
    /** The service's gspo.rollout.max-batch-sequences and the replica's: small, so that tests reach it. */
    private static final int MAX_BATCH = 12;
    /** T = 1 and a random model: every sample differs, so a changed seed or row order cannot go unnoticed. */
    private static final SamplingParams SAMPLING = new SamplingParams(8, 1.0, 1.0, 0, List.of("\n"));

    private static final List<String> THREE_PROMPTS = List.of("12+34=", "7+8=", "45+0=");

    @TempDir
    static Path dir;

    static ConfigurableApplicationContext service;
    static ExecutorService executor;
    static PolicyPublisher publisher;
    static FleetClient fleet;
    static InProcessReplica replica;
    static InProcessRollouts inProcess;

    @BeforeAll
    static void startBoth() {
        Path model = dir.resolve("model");
        try (NDManager manager = NDManager.newBaseManager();
                PolicyModel m = BuiltinModel.create(model, 5, manager)) {
            m.tokenizer().close();
        }
        service = new SpringApplicationBuilder(RolloutApplication.class)
                .run(
                        "--server.port=0",
                        "--server.address=127.0.0.1",
                        "--gspo.rollout.model-dir=" + model,
                        "--gspo.rollout.push-token=" + PUSH_TOKEN,
                        "--gspo.rollout.max-batch-sequences=" + MAX_BATCH,
                        "--spring.jmx.enabled=false",
                        "--spring.main.banner-mode=off",
                        "--logging.level.root=WARN");
        URI url = URI.create("http://127.0.0.1:"
                + ((WebServerApplicationContext) service).getWebServer().getPort());
        HttpClient http = HttpClient.newHttpClient();
        executor = Executors.newVirtualThreadPerTaskExecutor();
        Duration timeout = Duration.ofSeconds(60);
        publisher = new PolicyPublisher(
                new StaticEndpoints(List.of(url)),
                new WeightPublisher(http, PUSH_TOKEN, timeout, 1, executor),
                http,
                timeout,
                result -> {});
        fleet = new FleetClient(http, publisher, timeout, 1, executor, (replica, outcome, seconds) -> {});
        replica = InProcessReplica.load(model, MAX_BATCH);
        inProcess = new InProcessRollouts(replica);
    }

    @AfterAll
    static void stopBoth() {
        if (replica != null) {
            replica.close();
        }
        if (service != null) {
            service.close();
        }
        if (executor != null) {
            executor.shutdownNow();
        }
    }

    @Test
    @Order(1)
    void aStepThatFillsADecodeBatchGetsTheSameSamplesFromTheServiceAndTheInProcessReplica() {
        RolloutBatch fromService = fleet.sample(THREE_PROMPTS, 4, SAMPLING, 42, 0); // 3 × 4 = MAX_BATCH rows
        RolloutBatch fromReplica = inProcess.sample(THREE_PROMPTS, 4, SAMPLING, 42, 0);

        assertSameSamples(fromService, fromReplica);
        assertThat(fromService.policyVersion()).isZero();
    }

    @Test
    @Order(2)
    void concurrentStepsThatTheServiceSpreadsOverSeveralDecodeBatchesGetTheSameSamples() throws Exception {
        DistributionSummary batches = service.getBean(MeterRegistry.class)
                .get("gspo.rollout.batch.sequences")
                .summary();
        long batchesBefore = batches.count();
        double rowsBefore = batches.totalAmount();
        List<Future<RolloutBatch>> fromService = new ArrayList<>();
        for (long seed = 1; seed <= 4; seed++) { // 4 steps × 2 prompts × 3 = 24 rows: at least 2 decode batches
            long s = seed;
            fromService.add(executor.submit(() -> fleet.sample(THREE_PROMPTS.subList(0, 2), 3, SAMPLING, s, 0)));
        }
        for (long seed = 1; seed <= 4; seed++) {
            RolloutBatch fromReplica = inProcess.sample(THREE_PROMPTS.subList(0, 2), 3, SAMPLING, seed, 0);

            assertSameSamples(fromService.get((int) seed - 1).get(), fromReplica);
        }
        // gspo.rollout.batch.sequences is recorded per decode step of the running batch (continuous batching): the 24
        // rows take at least one decode step each, and no step decodes more rows than the batch holds
        assertThat(batches.totalAmount() - rowsBefore).isGreaterThanOrEqualTo(24);
        assertThat(batches.count() - batchesBefore).isGreaterThanOrEqualTo(2L);
        assertThat(batches.max()).isLessThanOrEqualTo(MAX_BATCH);
    }

    @Test
    @Order(3)
    void bothRefuseAStepWithMoreRowsThanADecodeBatchHolds() {
        List<String> fourPrompts = List.of("1+1=", "2+2=", "3+3=", "4+4="); // 4 × 4 = 16 > MAX_BATCH

        assertThatThrownBy(() -> fleet.sample(fourPrompts, 4, SAMPLING, 7, 0))
                .isInstanceOf(FleetException.class)
                .hasMessageContaining("400")
                .hasMessageContaining("max-batch-sequences");
        assertThatThrownBy(() -> inProcess.sample(fourPrompts, 4, SAMPLING, 7, 0))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("max-batch-sequences " + MAX_BATCH);
    }

    @Test
    @Order(4)
    void afterBothInstallAPublishedVersionTheyServeItAndStillAgree() {
        byte[] next;
        try (NDManager manager = NDManager.newBaseManager();
                PolicyModel other = BuiltinModel.create(dir.resolve("next"), 6, manager)) {
            next = other.weightsAsSafetensors();
            other.tokenizer().close();
        }
        RolloutBatch before = inProcess.sample(THREE_PROMPTS, 4, SAMPLING, 42, 0);

        PublishResult pushed = publisher.publish(1, next, PolicyModel.sha256(next));
        replica.publish(1, next, PolicyModel.sha256(next));
        RolloutBatch fromService = fleet.sample(THREE_PROMPTS, 4, SAMPLING, 42, 1);
        RolloutBatch fromReplica = inProcess.sample(THREE_PROMPTS, 4, SAMPLING, 42, 1);

        assertThat(pushed.failures()).isZero();
        assertThat(fromService.policyVersion()).isEqualTo(1);
        assertSameSamples(fromService, fromReplica);
        assertThat(fromReplica.groups().getFirst().samples().getFirst().logprobs())
                .as("version 1 samples with other weights than version 0")
                .isNotEqualTo(before.groups().getFirst().samples().getFirst().logprobs());
    }

    private static void assertSameSamples(RolloutBatch fromService, RolloutBatch fromReplica) {
        assertThat(fromReplica.policyVersion()).isEqualTo(fromService.policyVersion());
        assertThat(fromReplica.groups()).hasSameSizeAs(fromService.groups());
        for (int i = 0; i < fromService.groups().size(); i++) {
            RolloutBatch.Group expected = fromService.groups().get(i);
            RolloutBatch.Group actual = fromReplica.groups().get(i);
            assertThat(actual.promptTokenIds()).isEqualTo(expected.promptTokenIds());
            assertThat(actual.policyVersion()).isEqualTo(expected.policyVersion());
            assertThat(actual.samples()).hasSameSizeAs(expected.samples());
            for (int j = 0; j < expected.samples().size(); j++) {
                Completion e = expected.samples().get(j);
                Completion a = actual.samples().get(j);
                String where = "prompt " + i + ", sample " + j;
                assertThat(a.tokenIds()).as(where).isEqualTo(e.tokenIds());
                assertThat(a.text()).as(where).isEqualTo(e.text());
                assertThat(a.finishReason()).as(where).isEqualTo(e.finishReason());
                assertThat(a.logprobs()).as(where).containsExactly(e.logprobs(), within(1e-5f));
            }
        }
    }
}
