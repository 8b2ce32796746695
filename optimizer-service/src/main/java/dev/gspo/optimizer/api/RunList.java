package dev.gspo.optimizer.api;

import dev.gspo.optimizer.run.RunStatus;
import java.util.List;

/**
 * {@code GET /v1/runs}.
 *
 * @param runs every run this optimizer knows, oldest first
 */
record RunList(List<RunStatus> runs) {}
