package dev.gspo.experiments;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The raw results of an experiment as JSON (every run's per-step metrics, the sweep, the config), written beside the
 * plots as {@code results.json}, so the report can be read back and rendered again ({@code --report-from}) without
 * training anything, and so every number in the report can be traced to a step. Non-finite values (held-out accuracy
 * on steps that were not evaluated) are written as the strings {@code "NaN"}.
 */
public final class ResultsFile {
    public static final String NAME = "results.json";
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private ResultsFile() {}

    public static Path write(ExperimentResult result, Path file) {
        try {
            Files.createDirectories(file.toAbsolutePath().getParent());
            JSON.writeValue(file.toFile(), result);
            return file;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file, e);
        }
    }

    public static ExperimentResult read(Path file) {
        try {
            return JSON.readValue(file.toFile(), ExperimentResult.class);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read experiment results from " + file + ": " + e.getMessage(), e);
        }
    }
}
