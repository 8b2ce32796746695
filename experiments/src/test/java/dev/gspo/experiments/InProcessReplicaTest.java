package dev.gspo.experiments;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import ai.djl.ndarray.NDManager;
import dev.gspo.common.decode.Completion;
import dev.gspo.common.decode.SamplingParams;
import dev.gspo.common.decode.SequenceRequest;
import dev.gspo.common.model.BuiltinModel;
import dev.gspo.common.model.DecodeWeights;
import dev.gspo.common.model.PolicyModel;
import dev.gspo.common.replica.DecodeBatches;
import dev.gspo.common.replica.RejectedWeightsException;
import dev.gspo.optimizer.loop.RolloutBatch;
import dev.gspo.optimizer.loop.RunListener;
import dev.gspo.optimizer.loop.StepMetrics;
import dev.gspo.optimizer.loop.TrainingRun;
import dev.gspo.optimizer.runconfig.RunConfig;
import dev.gspo.optimizer.runconfig.RunConfigJson;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class InProcessReplicaTest {
    private static final SamplingParams SAMPLING = new SamplingParams(6, 1.0, 1.0, 0, List.of("\n"));

    @TempDir
    static Path dir;

    static Path modelA;
    static byte[] weightsB;

    @BeforeAll
    static void twoModels() {
        try (NDManager manager = NDManager.newBaseManager()) {
            modelA = dir.resolve("a");
            try (PolicyModel a = BuiltinModel.create(modelA, 1, manager);
                    PolicyModel b = BuiltinModel.create(dir.resolve("b"), 2, manager)) {
                weightsB = b.weightsAsSafetensors();
                a.tokenizer().close();
                b.tokenizer().close();
            }
        }
    }

    @Test
    void servesEachPublishedVersionFromItsBytes() {
        try (InProcessReplica replica = InProcessReplica.load(modelA)) {
            assertThat(replica.highestReplicaVersion()).isZero();

            var result = replica.publish(1, weightsB, PolicyModel.sha256(weightsB));

            assertThat(result.failures()).isZero();
            assertThat(replica.highestReplicaVersion()).isEqualTo(1);
            assertThat(replica.served().weightsAsSafetensors()).isEqualTo(weightsB);
        }
    }

    @Test
    void refusesWeightsWhoseChecksumDoesNotMatchAndKeepsServing() {
        try (InProcessReplica replica = InProcessReplica.load(modelA)) {
            byte[] before = replica.served().weightsAsSafetensors();

            assertThatThrownBy(() -> replica.publish(1, weightsB, "00".repeat(32)))
                    .isInstanceOfSatisfying(RejectedWeightsException.class, e -> assertThat(e.reason())
                            .isEqualTo(RejectedWeightsException.Reason.CHECKSUM_MISMATCH))
                    .hasMessageContaining("SHA-256");
            assertThat(replica.highestReplicaVersion()).isZero();
            assertThat(replica.served().weightsAsSafetensors()).isEqualTo(before);
        }
    }

    @Test
    void versionsOnlyMoveForward() {
        try (InProcessReplica replica = InProcessReplica.load(modelA)) {
            replica.publish(3, weightsB, PolicyModel.sha256(weightsB));

            assertThatThrownBy(() -> replica.publish(3, weightsB, PolicyModel.sha256(weightsB)))
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("not newer");
        }
    }

    @Test
    void rolloutsComeInPromptOrderFromTheServedVersionAndRepeatWithTheSeed() {
        try (InProcessReplica replica = InProcessReplica.load(modelA)) {
            replica.publish(2, weightsB, PolicyModel.sha256(weightsB));
            InProcessRollouts rollouts = new InProcessRollouts(replica);

            RolloutBatch first = rollouts.sample(List.of("1+2=", "34+5="), 3, SAMPLING, 42, 2);
            RolloutBatch again = rollouts.sample(List.of("1+2=", "34+5="), 3, SAMPLING, 42, 2);

            assertThat(first.policyVersion()).isEqualTo(2);
            assertThat(first.groups()).hasSize(2);
            assertThat(first.groups().get(1).promptTokenIds())
                    .isEqualTo(replica.served().tokenizer().encode("34+5="));
            assertThat(first.groups()).allSatisfy(g -> assertThat(g.samples()).hasSize(3));
            for (int i = 0; i < 2; i++) {
                for (int j = 0; j < 3; j++) {
                    var a = first.groups().get(i).samples().get(j);
                    var b = again.groups().get(i).samples().get(j);
                    assertThat(a.tokenIds()).isEqualTo(b.tokenIds());
                    assertThat(a.logprobs()).isEqualTo(b.logprobs());
                }
            }
        }
    }

    /**
     * Pipelined steps on the in-process pair (as CalibrationRun would run a config with sampling.maxStaleness 1): the
     * replica decodes the next step on the pipeline's thread while the trainer trains on the caller's; publishing never
     * overlaps sampling, so every step after the first trains on samples of the version before.
     */
    @Test
    void aPipelinedRunSamplesTheNextStepFromTheReplicaWhileItTrains(@TempDir Path runDir) {
        RunConfig config = RunConfigJson.read("""
                {"task":{"name":"addition","minDigits":1,"maxDigits":1},"model":"%s","seed":2,"steps":3,
                 "sampling":{"promptsPerStep":4,"groupSize":4,"maxNewTokens":4,"maxStaleness":1},
                 "optimizer":{"miniBatches":1},"eval":{"size":0},"checkpointing":{"every":0}}""".formatted(modelA)).withDefaults();
        try (InProcessReplica replica = InProcessReplica.load(modelA)) {
            TrainingRun run =
                    new TrainingRun("r", config, runDir, new InProcessRollouts(replica), replica, new RunListener() {});
            run.run();
            assertThat(run.history()).extracting(StepMetrics::stale).containsExactly(0L, 1L, 1L);
            assertThat(run.history()).allSatisfy(m -> assertThat(m.loss()).isFinite());
            // step 1 is on-policy: the replica's log-probs are the trainer's; later ones are a version behind
            assertThat(run.history().getFirst().mismatchMax()).isLessThan(1e-3);
            assertThat(replica.highestReplicaVersion()).isEqualTo(run.policyVersion());
        }
    }

    @Test
    void refusesAStepThatNeedsANewerVersionThanServed() {
        try (InProcessReplica replica = InProcessReplica.load(modelA)) {
            InProcessRollouts rollouts = new InProcessRollouts(replica);

            assertThatThrownBy(() -> rollouts.sample(List.of("1+2="), 2, SAMPLING, 1, 1))
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("needs ≥ 1");
        }
    }

    /**
     * The replica keeps the served version's fused decode weights across batches: a publish must free them and the
     * next batch decode with the new version's, exactly as fused weights built from the new weights for the batch.
     */
    @Test
    void aPublishFreesTheServedVersionsFusedWeightsAndTheNextBatchUsesTheNewOnes() {
        List<SequenceRequest> rows = List.of(
                new SequenceRequest(new int[] {1, 4, 5}, SAMPLING, 7),
                new SequenceRequest(new int[] {1, 6}, SAMPLING, 8));
        try (InProcessReplica replica = InProcessReplica.load(modelA)) {
            DecodeWeights v0 = replica.decodeWeights();
            List<Completion> onV0 =
                    DecodeBatches.decode(replica.served(), v0, List.of(rows)).getFirst();

            replica.publish(1, weightsB, PolicyModel.sha256(weightsB));

            assertThat(v0.isOpen()).isFalse();
            List<Completion> got = DecodeBatches.decode(replica.served(), replica.decodeWeights(), List.of(rows))
                    .getFirst();
            List<Completion> want =
                    DecodeBatches.decode(replica.served(), List.of(rows)).getFirst();
            for (int i = 0; i < rows.size(); i++) {
                assertThat(got.get(i).tokenIds())
                        .as("row %d", i)
                        .containsExactly(want.get(i).tokenIds());
                for (int j = 0; j < want.get(i).logprobs().length; j++) {
                    assertThat(got.get(i).logprobs()[j]).isCloseTo(want.get(i).logprobs()[j], within(1e-5f));
                }
            }
            assertThat(Math.abs(got.getFirst().logprobs()[0] - onV0.getFirst().logprobs()[0]))
                    .as("the new version's first log-prob differs (else this test could not see stale weights)")
                    .isGreaterThan(1e-3f);
        }
    }
}
