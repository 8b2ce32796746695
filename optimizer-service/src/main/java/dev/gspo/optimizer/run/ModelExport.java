package dev.gspo.optimizer.run;

import ai.djl.ndarray.NDManager;
import dev.gspo.common.lora.PeftAdapter;
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
 * <p><b>A LoRA run's checkpoint</b> (adapters over a frozen base) exports the same full directory with the adapters
 * merged in, {@code model.safetensors} = W + (α/r)·B A for every adapted layer (built from the base the checkpoint
 * names, whose SHA-256 is checked first), plus the adapter itself in PEFT's layout under {@code adapter/}
 * ({@code adapter_config.json}, {@code adapter_model.safetensors}: {@code PeftModel.from_pretrained(base,
 * "adapter")}). The merged weights are computed in memory for the request.
 *
 * @param step          the checkpoint's step
 * @param weightsSha256 SHA-256 of {@code model.safetensors} (also the {@code X-Model-SHA256} header)
 * @param mergedWeights a LoRA checkpoint's merged {@code model.safetensors}; null for a full checkpoint (the file is
 *                      copied)
 */
public record ModelExport(
        Path dir, long step, String weightsSha256, List<String> files, List<String> sums, byte[] mergedWeights) {
    public static final String SUMS_FILE = "SHA256SUMS";
    /** Where a LoRA export puts the adapter files in the zip. */
    public static final String ADAPTER_DIR = "adapter/";

    /** Verifies a checkpoint and lists what its export holds. */
    public static ModelExport of(Path checkpointDir) {
        TrainerState state = Checkpoint.read(checkpointDir); // throws naming the file when one does not check out
        if (state.loraBase() != null) {
            return ofLora(checkpointDir, state);
        }
        List<String> files = new ArrayList<>(List.of(PolicyModel.CONFIG_FILE, PolicyModel.WEIGHTS_FILE));
        for (String f : PolicyModel.TOKENIZER_FILES) {
            if (state.files().containsKey(f)) {
                files.add(f);
            }
        }
        List<String> sums =
                files.stream().map(f -> state.files().get(f) + "  " + f).toList();
        return new ModelExport(
                checkpointDir,
                state.step(),
                state.files().get(PolicyModel.WEIGHTS_FILE),
                List.copyOf(files),
                sums,
                null);
    }

    private static ModelExport ofLora(Path checkpointDir, TrainerState state) {
        byte[] merged;
        try (NDManager manager = NDManager.newBaseManager()) {
            PolicyModel base = Checkpoint.loraBase(state, manager);
            try (PolicyModel adapted = base.withLora(Checkpoint.loraAdapters(checkpointDir, base.config(), manager))) {
                merged = adapted.mergedWeightsAsSafetensors();
            } finally {
                base.close();
                base.tokenizer().close();
            }
        }
        String mergedSha = PolicyModel.sha256(merged);
        List<String> files = new ArrayList<>(List.of(PolicyModel.CONFIG_FILE, PolicyModel.WEIGHTS_FILE));
        List<String> sums = new ArrayList<>(List.of(
                state.files().get(PolicyModel.CONFIG_FILE) + "  " + PolicyModel.CONFIG_FILE,
                mergedSha + "  " + PolicyModel.WEIGHTS_FILE));
        for (String f : PolicyModel.TOKENIZER_FILES) {
            if (state.files().containsKey(f)) {
                files.add(f);
                sums.add(state.files().get(f) + "  " + f);
            }
        }
        for (String f : List.of(PeftAdapter.CONFIG_FILE, PeftAdapter.WEIGHTS_FILE)) {
            files.add(ADAPTER_DIR + f);
            sums.add(state.files().get(f) + "  " + ADAPTER_DIR + f);
        }
        return new ModelExport(checkpointDir, state.step(), mergedSha, List.copyOf(files), List.copyOf(sums), merged);
    }

    /** Writes the zip; the caller closes {@code out}. */
    public void writeZip(OutputStream out) throws IOException {
        ZipOutputStream zip = new ZipOutputStream(out);
        zip.setLevel(Deflater.BEST_SPEED); // float32 weights hardly compress: spend little time trying
        for (String f : files) {
            zip.putNextEntry(new ZipEntry(f));
            if (mergedWeights != null && f.equals(PolicyModel.WEIGHTS_FILE)) {
                zip.write(mergedWeights);
            } else {
                Files.copy(dir.resolve(f.startsWith(ADAPTER_DIR) ? f.substring(ADAPTER_DIR.length()) : f), zip);
            }
            zip.closeEntry();
        }
        zip.putNextEntry(new ZipEntry(SUMS_FILE));
        zip.write((String.join("\n", sums) + "\n").getBytes(StandardCharsets.UTF_8));
        zip.closeEntry();
        zip.finish();
    }
}
