package dev.gspo.optimizer.loop;

import java.time.Instant;

/**
 * The latest run-file write that failed ({@code GET /v1/runs/{id}}: {@code lastWriteError}).
 *
 * @param file  {@code metrics.jsonl}, {@code checkpoint} or {@code report}
 * @param step  the step the write belonged to
 * @param error what the file system said (a path and the reason, e.g. "Read-only file system")
 */
public record WriteError(String file, long step, String error, Instant at) {}
