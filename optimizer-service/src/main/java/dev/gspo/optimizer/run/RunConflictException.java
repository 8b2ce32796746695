package dev.gspo.optimizer.run;

/** A run cannot be started or changed in its current state (HTTP 409). */
public class RunConflictException extends RuntimeException {
    public RunConflictException(String message) {
        super(message);
    }
}
