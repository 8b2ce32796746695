package dev.gspo.optimizer.run;

import dev.gspo.common.model.PolicyModel;
import dev.gspo.common.train.Checkpoint;
import dev.gspo.common.train.TrainerState;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.Deflater;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

/**
 * {@code GET /v1/runs/{id}/model}: a run's newest checkpoint as a Hugging Face model directory in a zip —
 * {@code config.json}, {@code model.safetensors}, every tokenizer file the checkpoint kept ({@code tokenizer.json},
 * {@code tokenizer_config.json}, …) and {@code SHA256SUMS} ({@code sha256sum} format: one {@code <hex>  <file>} line per
 * file, checkable with {@code sha256sum -c}). The optimizer state and {@code trainer_state.json} stay behind: the zip
 * is a model, not a checkpoint. The checkpoint is verified against its recorded checksums before a byte is sent, and
 * those checksums are the ones listed.
 *
 * @param step          the checkpoint's step
 * @param weightsSha256 SHA-256 of {@code model.safetensors} (also the {@code X-Model-SHA256} header)
 */
public record ModelExport(Path dir, long step, String weightsSha256, List<String> files, List<String> sums) {
    public static final String SUMS_FILE = "SHA256SUMS";

    /** Verifies a checkpoint and lists what its export holds. */
    public static ModelExport of(Path checkpointDir) {
        TrainerState state = Checkpoint.read(checkpointDir); // throws naming the file when one does not check out
        List<String> files = new ArrayList<>(List.of(PolicyModel.CONFIG_FILE, PolicyModel.WEIGHTS_FILE));
        for (String f : PolicyModel.TOKENIZER_FILES) {
            if (state.files().containsKey(f)) {
                files.add(f);
            }
        }
        List<String> sums =
                files.stream().map(f -> state.files().get(f) + "  " + f).toList();
        return new ModelExport(
                checkpointDir, state.step(), state.files().get(PolicyModel.WEIGHTS_FILE), List.copyOf(files), sums);
    }

    /** Writes the zip; the caller closes {@code out}. */
    public void writeZip(OutputStream out) throws IOException {
        ZipOutputStream zip = new ZipOutputStream(out);
        zip.setLevel(Deflater.BEST_SPEED); // float32 weights hardly compress: spend little time trying
        for (String f : files) {
            zip.putNextEntry(new ZipEntry(f));
            Files.copy(dir.resolve(f), zip);
            zip.closeEntry();
        }
        zip.putNextEntry(new ZipEntry(SUMS_FILE));
        zip.write((String.join("\n", sums) + "\n").getBytes(StandardCharsets.UTF_8));
        zip.closeEntry();
        zip.finish();
    }
}
