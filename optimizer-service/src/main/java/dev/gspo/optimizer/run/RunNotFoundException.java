package dev.gspo.optimizer.run;

/** No run with that id (HTTP 404). */
public class RunNotFoundException extends RuntimeException {
    public RunNotFoundException(String runId) {
        super("no run with id '" + runId + "'");
    }
}
