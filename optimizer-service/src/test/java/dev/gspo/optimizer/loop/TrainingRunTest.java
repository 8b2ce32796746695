package dev.gspo.optimizer.loop;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDManager;
import dev.gspo.common.decode.BatchGenerator;
import dev.gspo.common.decode.Completion;
import dev.gspo.common.decode.Seeds;
import dev.gspo.common.decode.SequenceRequest;
import dev.gspo.common.model.BuiltinModel;
import dev.gspo.common.model.PolicyModel;
import dev.gspo.optimizer.runconfig.RunConfig;
import dev.gspo.optimizer.runconfig.RunConfigJson;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TrainingRunTest {

    @Test
    void anUnwritableCheckpointFolderIsReportedAndTheRunGoesOn(@TempDir Path dir) throws Exception {
        Path blocked = dir.resolve("a-file");
        Files.writeString(blocked, "not a directory");
        try (NDManager manager = NDManager.newBaseManager();
                PolicyModel served = BuiltinModel.create(dir.resolve("served"), 4, manager)) {
            // the policy comes from a model directory, so the only thing the run writes is its checkpoints
            RunConfig config =
                    RunConfigJson.read("""
                    {"steps":2,"seed":4,"model":"%s",
                     "sampling":{"promptsPerStep":2,"groupSize":2,"maxNewTokens":4},
                     "optimizer":{"miniBatches":1},"eval":{"size":0},"checkpointing":{"every":1}}""".formatted(dir.resolve("served"))).withDefaults();
            List<Long> published = new ArrayList<>();
            List<String> failures = new ArrayList<>();
            TrainingRun run = new TrainingRun(
                    "r", config, blocked.resolve("run"), sampler(served), sink(published), new RunListener() {
                        @Override
                        public void onCheckpointFailed(long step, Exception error) {
                            failures.add(step + ": " + error.getMessage());
                        }
                    });
            run.run();
            assertThat(run.history()).hasSize(2);
            assertThat(published).containsExactly(1L, 2L, 3L);
            assertThat(failures).hasSize(2);
            assertThat(run.checkpointError()).contains("checkpoint after step 2 failed");
            assertThat(run.lastCheckpoint()).isNull();
            served.tokenizer().close();
        }
    }

    /** Samples from a fixed local model, as a replica would (the test needs rollouts, not learning). */
    private static RolloutSource sampler(PolicyModel served) {
        return (prompts, groupSize, sampling, seed, minVersion) -> {
            List<SequenceRequest> requests = new ArrayList<>();
            for (int i = 0; i < prompts.size(); i++) {
                for (int j = 0; j < groupSize; j++) {
                    requests.add(new SequenceRequest(
                            served.tokenizer().encode(prompts.get(i)), sampling, Seeds.forSample(seed, i, j)));
                }
            }
            List<Completion> out = new BatchGenerator(served).generate(requests);
            List<RolloutBatch.Group> groups = new ArrayList<>();
            for (int i = 0; i < prompts.size(); i++) {
                groups.add(new RolloutBatch.Group(
                        requests.get(i * groupSize).promptTokenIds(),
                        minVersion,
                        out.subList(i * groupSize, (i + 1) * groupSize)));
            }
            return new RolloutBatch(minVersion, groups);
        };
    }

    private static PolicySink sink(List<Long> published) {
        return new PolicySink() {
            @Override
            public PublishResult publish(long version, byte[] safetensors, String sha256) {
                published.add(version);
                return new PublishResult(version, safetensors.length, Duration.ZERO, List.of());
            }

            @Override
            public long highestReplicaVersion() {
                return 0;
            }
        };
    }
}
