package dev.gspo.optimizer.run;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.gspo.optimizer.loop.RunFileException;
import dev.gspo.optimizer.loop.RunListener;
import dev.gspo.optimizer.loop.StepMetrics;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code <runDir>/metrics.jsonl}: one line of {@link StepMetrics} per step, appended as the run goes, so the history
 * survives a restart of the optimizer and a resumed run keeps its earlier steps. A line that cannot be written is a
 * {@link RunFileException}: the run records it and goes on.
 */
public final class MetricsHistoryFile implements RunListener {
    static final String FILE = "metrics.jsonl";
    private static final ObjectMapper JSON = new ObjectMapper();
    private final Path file;

    public MetricsHistoryFile(Path runDir) {
        this.file = runDir.resolve(FILE);
    }

    @Override
    public void onStep(StepMetrics m) {
        try {
            Files.createDirectories(file.getParent());
            Files.writeString(
                    file,
                    JSON.writeValueAsString(m) + "\n",
                    StandardCharsets.UTF_8,
                    StandardOpenOption.CREATE,
                    StandardOpenOption.APPEND);
        } catch (IOException e) {
            throw new RunFileException(FILE, "cannot append to " + file + ": " + e.getMessage(), e);
        }
    }

    static List<StepMetrics> read(Path runDir) {
        Path f = runDir.resolve(FILE);
        List<StepMetrics> out = new ArrayList<>();
        if (!Files.isRegularFile(f)) {
            return out;
        }
        try {
            for (String line : Files.readAllLines(f)) {
                if (!line.isBlank()) {
                    out.add(JSON.readValue(line, StepMetrics.class));
                }
            }
        } catch (IOException e) {
            return out; // a damaged history file costs the old curve, not the run
        }
        return out;
    }
}
