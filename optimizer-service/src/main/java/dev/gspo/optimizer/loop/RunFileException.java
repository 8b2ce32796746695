package dev.gspo.optimizer.loop;

import java.io.IOException;
import java.io.UncheckedIOException;

/**
 * A run file ({@code metrics.jsonl}, a checkpoint, the report) could not be written. The run goes on: the failure is
 * reported in the run's status ({@link WriteError}) and counted, never fatal.
 */
public class RunFileException extends UncheckedIOException {
    private final String file;

    /** @param file what was being written: {@code metrics.jsonl}, {@code checkpoint}, {@code report} */
    public RunFileException(String file, String message, IOException cause) {
        super(message, cause);
        this.file = file;
    }

    public String file() {
        return file;
    }
}
