package dev.gspo.common.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.gspo.common.model.InvalidModelException;
import dev.gspo.common.model.PolicyModel;
import dev.gspo.common.model.TestModels;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CheckpointTest {

    @Test
    void writesAWholeCheckpointThatReadsBackVerified(@TempDir Path root) throws IOException {
        Path target = root.resolve("step-3");
        try (NDManager manager = NDManager.newBaseManager();
                PolicyModel model = TestModels.random(manager, TestModels.config("llama", 4, 2, false), 1);
                AdamW adam = new AdamW(model.weights().byName(), AdamW.Hyper.defaults(), manager)) {
            TrainerState state = new TrainerState(
                    "run-1", 3, 4, 3, 42, new ObjectMapper().readTree("{\"lossMode\":\"gspo\"}"), Map.of());
            Checkpoint.write(target, model, adam, state);
            Checkpoint.write(target, model, adam, state); // overwriting keeps one whole checkpoint
            TrainerState back = Checkpoint.read(target);
            assertThat(back.step()).isEqualTo(3);
            assertThat(back.config().get("lossMode").asText()).isEqualTo("gspo");
            assertThat(back.files()).containsKeys("model.safetensors", "optimizer.safetensors");
            assertThat(Checkpoint.optimizerState(target)).containsKey("exp_avg.model.norm.weight");
            try (Stream<Path> entries = Files.list(root)) {
                assertThat(entries.map(p -> p.getFileName().toString())).containsExactly("step-3");
            }
            model.tokenizer().close();
        }
    }

    @Test
    void corruptedOrTruncatedFilesAreDetectedBeforeLoading(@TempDir Path root) throws IOException {
        Path target = root.resolve("ckpt");
        try (NDManager manager = NDManager.newBaseManager();
                PolicyModel model = TestModels.random(manager, TestModels.config("qwen2", 4, 2, true), 1);
                AdamW adam = new AdamW(model.weights().byName(), AdamW.Hyper.defaults(), manager)) {
            Checkpoint.write(target, model, adam, new TrainerState("r", 1, 1, 1, 1, null, Map.of()));
            model.tokenizer().close();
        }
        try (RandomAccessFile f =
                new RandomAccessFile(target.resolve("model.safetensors").toFile(), "rw")) {
            f.seek(f.length() - 10);
            f.write(0x7f);
        }
        assertThatThrownBy(() -> Checkpoint.read(target))
                .isInstanceOf(InvalidModelException.class)
                .hasMessageContaining("model.safetensors is corrupted");
        try (RandomAccessFile f =
                new RandomAccessFile(target.resolve("optimizer.safetensors").toFile(), "rw")) {
            f.setLength(f.length() / 2);
        }
        Files.delete(target.resolve("model.safetensors"));
        assertThatThrownBy(() -> Checkpoint.read(target)).hasMessageContaining("lacks model.safetensors");
        Files.delete(target.resolve("trainer_state.json"));
        assertThatThrownBy(() -> Checkpoint.read(target)).hasMessageContaining("has no trainer_state.json");
    }

    @Test
    void anUnwritableFolderFailsWithAClearErrorAndLeavesTheOldCheckpoint(@TempDir Path root) throws IOException {
        Path target = root.resolve("ckpt");
        try (NDManager manager = NDManager.newBaseManager();
                PolicyModel model = TestModels.random(manager, TestModels.config("llama", 4, 2, true), 1);
                AdamW adam = new AdamW(model.weights().byName(), AdamW.Hyper.defaults(), manager)) {
            Checkpoint.write(target, model, adam, new TrainerState("r", 1, 1, 1, 1, null, Map.of()));
            Path blocked = root.resolve("file-not-dir");
            Files.writeString(blocked, "x");
            assertThatThrownBy(() -> Checkpoint.write(
                            blocked.resolve("ckpt"), model, adam, new TrainerState("r", 2, 2, 2, 1, null, Map.of())))
                    .hasMessageContaining("cannot write checkpoint");
            assertThat(Checkpoint.read(target).step()).isEqualTo(1);
            model.tokenizer().close();
        }
    }
}
