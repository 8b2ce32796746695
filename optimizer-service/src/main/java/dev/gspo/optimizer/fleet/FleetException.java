package dev.gspo.optimizer.fleet;

/** No replica could serve a share of a step after every retry. */
public class FleetException extends RuntimeException {
    public FleetException(String message) {
        super(message);
    }
}
