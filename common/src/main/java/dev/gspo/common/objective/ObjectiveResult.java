package dev.gspo.common.objective;

import ai.djl.ndarray.NDArray;

/**
 * The loss of one minibatch and its diagnostics.
 *
 * @param loss        scalar (shape []) −J (+ β·KL_ref), attached to the graph of the new
 *                    log-probs: pass it to {@code GradientCollector.backward}. It lives on the
 *                    manager of the new log-probs and in the caller's {@code NDScope}, if any;
 *                    {@link #close()} frees it early.
 * @param diagnostics plain numbers, safe to keep after the arrays are gone
 */
public record ObjectiveResult(NDArray loss, LossDiagnostics diagnostics) implements AutoCloseable {

    @Override
    public void close() {
        loss.close();
    }
}
